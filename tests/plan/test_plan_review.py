"""DC-6: the plan review says what a change does to what exists: data loss and security first, never a value.

GIVEN a temporary git repository whose commits hold small synthesized stacks (a producer with a
bucket, a table, a key, a security group rule and outputs; a consumer reading its outputs; a legacy
stack), WHEN `./meridian review --base BASE` reviews a later commit, THEN the base is applied on the
stand-in and the change planned against that state, and the review names each kind of change.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools import plan_review
from tools.tfplan.review import COMMENT_LIMIT, Destructive, Review, SecurityChange, StackReview
from tools.tfplan.synth import ROOT, synth_env

REGION = "eu-west-1"
BACKEND = {"bucket": "fx-state", "region": REGION}
PROVIDER = {
    "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "6.25.0"}}},
    "provider": {"aws": [{"region": REGION}]},
}
# Values that must never reach the review: every one is set or changed by the fixture commits.
VALUES = ("fx-docs-a", "fx-docs-b", "0.0.0.0/0", "10.0.0.0/16", "documents v2", "fx-locks", "vpc-0fixture")


def stack(key: str, resources: dict, outputs: dict | None = None, data: dict | None = None) -> dict:
    config = copy.deepcopy(PROVIDER)
    config["terraform"]["backend"] = {"s3": {**BACKEND, "key": key}}
    config["resource"] = resources
    if outputs:
        config["output"] = {name: {"value": value} for name, value in outputs.items()}
    if data:
        config["data"] = data
    return config


def base_stacks() -> dict[str, dict]:
    producer = stack(
        "fx/data.tfstate",
        {
            "aws_s3_bucket": {"docs": {"bucket": "fx-docs-a"}},
            "aws_kms_key": {"docs": {"description": "documents"}},
            "aws_dynamodb_table": {
                "locks": {
                    "name": "fx-locks",
                    "hash_key": "LockID",
                    "billing_mode": "PAY_PER_REQUEST",
                    "attribute": [{"name": "LockID", "type": "S"}],
                }
            },
            "aws_security_group": {"app": {"name": "fx-app", "description": "app", "vpc_id": "vpc-0fixture"}},
            "aws_vpc_security_group_ingress_rule": {
                "https": {
                    "security_group_id": "${aws_security_group.app.id}",
                    "cidr_ipv4": "10.0.0.0/16",
                    "from_port": 443,
                    "to_port": 443,
                    "ip_protocol": "tcp",
                    "description": "HTTPS from the VPC",
                }
            },
        },
        outputs={"bucket_name": "${aws_s3_bucket.docs.bucket}", "retention_days": 7},
    )
    consumer = stack(
        "fx/edge.tfstate",
        {
            "aws_sns_topic": {
                "alerts": {
                    "name": "fx-alerts",
                    "tags": {"Bucket": "${data.terraform_remote_state.data.outputs.bucket_name}"},
                }
            }
        },
        data={"terraform_remote_state": {"data": {"backend": "s3", "config": {**BACKEND, "key": "fx/data.tfstate"}}}},
    )
    legacy = stack("fx/legacy.tfstate", {"aws_sns_topic": {"legacy": {"name": "fx-legacy"}}})
    return {"fx-data": producer, "fx-edge": consumer, "fx-legacy": legacy}


def changed_stacks() -> dict[str, dict]:
    """One commit with every kind of change a reviewer must see."""
    stacks = base_stacks()
    resources = stacks["fx-data"]["resource"]
    resources["aws_s3_bucket"]["docs"]["bucket"] = "fx-docs-b"  # forces replacement: data
    resources["aws_kms_key"]["docs"]["description"] = "documents v2"  # not forcing: an update
    del resources["aws_dynamodb_table"]  # destroyed: data
    resources["aws_vpc_security_group_ingress_rule"]["https"]["cidr_ipv4"] = "0.0.0.0/0"  # widened
    stacks["fx-data"]["output"]["retention_days"]["value"] = 30  # a changed output
    stacks["fx-edge"]["resource"]["aws_sns_topic"]["audit"] = {"name": "fx-audit"}  # created
    del stacks["fx-legacy"]  # a whole stack removed
    return stacks


def additions_only() -> dict[str, dict]:
    stacks = base_stacks()
    stacks["fx-edge"]["resource"]["aws_sns_topic"]["audit"] = {"name": "fx-audit"}
    return stacks


def write_synth_output(repo: Path, stacks: dict[str, dict]) -> None:
    """What `cdktf synth` leaves: a manifest and a cdk.tf.json per stack (the consumer after its producer)."""
    out = repo / "out"
    if out.exists():
        subprocess.run(["git", "rm", "-rq", "out"], cwd=repo, check=True)
    manifest = {}
    for name, config in stacks.items():
        folder = out / "stacks" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "cdk.tf.json").write_text(json.dumps(config, indent=2))
        dependencies = ["fx-data"] if name == "fx-edge" else []
        manifest[name] = {
            "workingDirectory": f"stacks/{name}",
            "synthesizedStackPath": f"stacks/{name}/cdk.tf.json",
            "dependencies": dependencies,
        }
    (out / "manifest.json").write_text(json.dumps({"stacks": manifest}, indent=2))


def commit(repo: Path, stacks: dict[str, dict], message: str) -> str:
    write_synth_output(repo, stacks)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", message], cwd=repo, check=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def copy_synth_output(tree: Path, outdir: Path) -> subprocess.Popen:
    """The fixture's synth: the tree's committed synth output, copied where the review wants it."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import shutil, sys; shutil.copytree(sys.argv[1], sys.argv[2])",
            str(tree / "out"),
            str(outdir),
        ]
    )


@dataclass
class ReviewRun:
    exit_code: int
    markdown: str
    document: dict
    stderr: str
    worktrees: str


@pytest.fixture(scope="module")
def fixture_repo(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    repo = tmp_path_factory.mktemp("review-repo")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run(["git", "config", "user.email", "review@example.invalid"], cwd=repo, check=True)
    subprocess.run(["git", "config", "user.name", "review test"], cwd=repo, check=True)
    commits = {"base": commit(repo, base_stacks(), "base")}
    commits["change"] = commit(repo, changed_stacks(), "every kind of change")
    subprocess.run(["git", "checkout", "-q", "-b", "additions", commits["base"]], cwd=repo, check=True)
    commits["additions"] = commit(repo, additions_only(), "an added topic")
    return repo, commits


def run_review(repo: Path, head: str, argv: list[str], tmp: Path, **environment: str) -> ReviewRun:
    """`./meridian review ARGV` on the fixture repository with head checked out, offline unless told."""
    subprocess.run(["git", "checkout", "-q", head], cwd=repo, check=True)
    stderr = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stderr(stderr):
        patch.setenv("MERIDIAN_TF_PROVIDER", environment.pop("MERIDIAN_TF_PROVIDER", "offline"))
        for name, value in environment.items():
            patch.setenv(name, value)
        code = plan_review.main(
            [*argv, "--out", str(tmp / "review.md"), "--json", str(tmp / "review.json")], repo, copy_synth_output
        )
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=repo, check=True, capture_output=True, text=True).stdout
    written = (tmp / "review.md").exists()
    return ReviewRun(
        code,
        (tmp / "review.md").read_text() if written else "",
        json.loads((tmp / "review.json").read_text()) if written else {},
        stderr.getvalue(),
        worktrees,
    )


@pytest.fixture(scope="module")
def change_review(fixture_repo, tmp_path_factory) -> ReviewRun:
    """The change reviewed against the base, failing on data loss through the environment variable."""
    repo, commits = fixture_repo
    tmp = tmp_path_factory.mktemp("change-review")
    return run_review(
        repo, commits["change"], ["dev", "--base", commits["base"]], tmp, MERIDIAN_REVIEW_FAIL_ON_DATA_LOSS="1"
    )


def entry(items: list[dict], address: str) -> dict:
    found = [item for item in items if item["address"] == address]
    assert len(found) == 1, f"{address} not in {[item['address'] for item in items]}"
    return found[0]


def stacks_of(document: dict) -> dict[str, dict]:
    return {stack["name"]: stack for stack in document["stacks"]}


@pytest.mark.req("DC-6")
def test_renamed_bucket_is_a_replacement_marked_as_data_and_forced_by_its_name(change_review):
    replaced = entry(stacks_of(change_review.document)["fx-data"]["destructive"], "aws_s3_bucket.docs")

    assert (replaced["action"], replaced["holds_data"], replaced["forced_by"]) == ("replace", True, ["bucket"])
    assert "| fx-data | `aws_s3_bucket.docs` | replace | **yes: bucket** | `bucket` |" in change_review.markdown


@pytest.mark.req("DC-6")
@pytest.mark.req("DC-4")
def test_a_forcing_argument_plans_a_replacement_and_another_argument_an_update(change_review):
    by_type = stacks_of(change_review.document)["fx-data"]["by_type"]

    assert by_type["aws_s3_bucket"] == {"replace": 1}  # bucket name: ForceNew in the provider
    assert by_type["aws_kms_key"] == {"update": 1}  # description: updated in place


@pytest.mark.req("DC-6")
def test_removed_resource_and_removed_stack_are_destroyed_the_table_marked_as_data(change_review):
    stacks = stacks_of(change_review.document)
    table = entry(stacks["fx-data"]["destructive"], "aws_dynamodb_table.locks")
    legacy = entry(stacks["fx-legacy"]["destructive"], "aws_sns_topic.legacy")

    assert (table["action"], table["holds_data"]) == ("destroy", True)
    assert (legacy["action"], legacy["holds_data"]) == ("destroy", False)


@pytest.mark.req("DC-6")
def test_widened_security_group_rule_is_on_the_security_surface_by_argument_name(change_review):
    rule = entry(stacks_of(change_review.document)["fx-data"]["security"], "aws_vpc_security_group_ingress_rule.https")

    assert (rule["action"], rule["changed"], rule["reaches_anyone"]) == ("update", ["cidr_ipv4"], True)
    assert (
        "`aws_vpc_security_group_ingress_rule.https` | update | `cidr_ipv4` **(now admits anyone)**"
        in change_review.markdown
    )


@pytest.mark.req("DC-6")
def test_changed_output_and_created_resource_are_reported(change_review):
    stacks = stacks_of(change_review.document)

    assert [(o["name"], o["action"]) for o in stacks["fx-data"]["outputs"]] == [
        ("bucket_name", "changed"),  # follows the renamed bucket
        ("retention_days", "changed"),
    ]
    assert stacks["fx-edge"]["by_type"]["aws_sns_topic"] == {"create": 1}
    assert "| fx-data | `retention_days` | changed |" in change_review.markdown


@pytest.mark.req("DC-6")
def test_verdict_comes_first_and_data_loss_comes_before_everything_else(change_review):
    lines = change_review.markdown.splitlines()
    sections = [line for line in lines if line.startswith("### ")]

    assert lines[0].startswith(
        "**⚠️ Verdict: 1 stateful replacement and 1 stateful destruction: needs a second reviewer;"
    )
    assert [s.split(" (")[0] for s in sections] == [
        "### Destroyed or replaced",
        "### Security surface",
        "### Changed outputs",
    ]
    assert change_review.document["data_loss"] is True


@pytest.mark.req("DC-6")
def test_review_shows_no_attribute_value(change_review):
    for value in VALUES:
        assert value not in change_review.markdown
        assert value not in json.dumps(change_review.document)


@pytest.mark.req("DC-6")
def test_fail_on_data_loss_exits_3_and_says_which_resources(change_review):
    assert change_review.exit_code == plan_review.EXIT_DATA_LOSS
    assert "aws_s3_bucket.docs" in change_review.stderr and "aws_dynamodb_table.locks" in change_review.stderr


@pytest.mark.req("DC-6")
def test_base_is_planned_stack_by_stack_with_progress_and_its_worktree_removed(change_review):
    assert "[3/3] fx-edge: init, plan, apply" in change_review.stderr  # the base, applied after its producer
    assert "[2/2] fx-edge: init, plan against the base's state" in change_review.stderr
    assert "fx-legacy: only the base has it; planning its destruction" in change_review.stderr
    assert change_review.worktrees.count("\n") == 1, change_review.worktrees


@pytest.mark.req("DC-6")
def test_additions_only_pass_the_data_loss_gate(fixture_repo, tmp_path):
    repo, commits = fixture_repo

    run = run_review(repo, commits["additions"], ["dev", "--base", commits["base"], "--fail-on-data-loss"], tmp_path)

    assert run.exit_code == 0, run.stderr
    assert run.markdown.splitlines()[0] == "**Verdict: additions only (1 to create).**"


@pytest.mark.req("DC-6")
def test_unknown_base_is_one_clear_error(fixture_repo, tmp_path):
    repo, commits = fixture_repo

    run = run_review(repo, commits["change"], ["dev", "--base", "no-such-branch"], tmp_path)

    assert run.exit_code == 1
    assert run.stderr.strip().splitlines() == [
        f"meridian review: --base 'no-such-branch' is not a commit of the repository at {repo}; give a branch, tag or commit"
    ]


@pytest.mark.req("DC-6")
def test_base_with_the_real_provider_is_a_usage_error(fixture_repo, tmp_path):
    repo, commits = fixture_repo

    run = run_review(
        repo, commits["change"], ["dev", "--base", commits["base"]], tmp_path, MERIDIAN_TF_PROVIDER="registry"
    )

    assert run.exit_code == 2 and "drop --base" in run.stderr


@pytest.mark.req("DC-6")
def test_markdown_of_a_huge_change_stays_under_the_comment_limit():
    stacks = [
        StackReview(
            f"meridian-dev-stack{n}",
            {"create": 0, "update": 400, "replace": 400, "destroy": 0},
            destructive=[
                Destructive(
                    f"meridian-dev-stack{n}", f"aws_s3_bucket.bucket_{i}", "aws_s3_bucket", "replace", True, ("bucket",)
                )
                for i in range(400)
            ],
            security=[
                SecurityChange(
                    f"meridian-dev-stack{n}",
                    f"aws_iam_role.role_{i}",
                    "aws_iam_role",
                    "update",
                    ("assume_role_policy",),
                    False,
                )
                for i in range(400)
            ],
            by_type={f"aws_type_{i}": {"update": 1} for i in range(400)},
        )
        for n in range(5)
    ]

    markdown = Review("dev", "offline stand-in, local state", "abc123", stacks).to_markdown()

    assert len(markdown) <= COMMENT_LIMIT
    assert markdown.startswith("**⚠️ Verdict: 2000 stateful replacements: needs a second reviewer;")
    assert "more in the JSON review" in markdown


@pytest.mark.req("DC-6")
def test_review_command_plans_every_stack_of_the_project_and_writes_markdown_and_json(tmp_path):
    out = tmp_path / "review.md"
    result = subprocess.run(
        [sys.executable, "-m", "tools.plan_review", "dev", "--out", str(out)],
        cwd=ROOT,
        env=synth_env(MERIDIAN_TF_PROVIDER="offline"),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    written = out.read_text()
    document = json.loads(out.with_suffix(".json").read_text())
    assert written.strip() == result.stdout.strip()
    assert written.startswith("**Verdict: additions only (")
    names = [stack["name"] for stack in document["stacks"]]
    # producers first: state, the primary region, then the stacks reading its outputs
    assert names[:2] == ["meridian-dev-state", "meridian-dev-primary"]
    assert sorted(names[2:]) == ["meridian-dev-global", "meridian-dev-secondary"]
    assert f"[4/4] {names[3]}" in result.stderr, "progress is shown while it works"
