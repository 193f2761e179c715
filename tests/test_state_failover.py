"""DC-3: Terraform state survives the primary region, and the README's procedure runs a stack on it.

GIVEN a local S3 and DynamoDB (moto) holding the state bucket and lock table of dev, the primary and
secondary stacks applied against them (resources on the offline stand-in), and every state object
copied into the replica bucket as S3 replication does,
WHEN the primary region goes away (state bucket and lock table deleted) and the README's procedure
runs: synth with MERIDIAN_STATE_SOURCE=replica, `terraform init -reconfigure`, plan and apply,
THEN the secondary stack finds its state and the primary's outputs in the replica, locks with the S3
lock file there, writes its new state there encrypted with the state key's alias; and when the
region is back, `terraform init -migrate-state -force-copy` after a normal synth puts that state
back into the state bucket.

The synthesized backend and remote-state configurations are used as they are; the override file
of each working copy only adds what a local S3 needs (endpoint, path-style URLs, fake credentials).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from config import load
from stacks.base import RemoteState
from tools.tfplan import terraform
from tools.tfplan.stand_in import offline_cli_config, require_stand_in
from tools.tfplan.synth import start_synth

# Only in these test working copies: reach the local S3 without an AWS account.
LOCAL_S3_SETTINGS = {
    "use_path_style": True,
    "access_key": "meridian-test-access-key",
    "secret_key": "meridian-test-secret-key",
    "skip_credentials_validation": True,
    "skip_requesting_account_id": True,
    "skip_metadata_api_check": True,
}


@dataclass
class LocalAws:
    endpoint: str
    remote: RemoteState

    def client(self, service: str, region: str):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id="meridian-test",
            aws_secret_access_key="meridian-test",
        )

    @property
    def s3(self):
        return self.client("s3", self.remote.region)

    def create_primary_region(self) -> None:
        self.s3.create_bucket(Bucket=self.remote.bucket)
        self.s3.put_bucket_versioning(Bucket=self.remote.bucket, VersioningConfiguration={"Status": "Enabled"})
        self.client("dynamodb", self.remote.region).create_table(
            TableName=self.remote.lock_table,
            KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )

    def lose_primary_region(self) -> dict[str, bytes]:
        """Delete the state bucket and lock table; returns the bucket's objects, which come back with the region."""
        kept = {}
        for item in self.s3.list_objects_v2(Bucket=self.remote.bucket).get("Contents", []):
            kept[item["Key"]] = self.s3.get_object(Bucket=self.remote.bucket, Key=item["Key"])["Body"].read()
        for version in self.versions(self.remote.bucket):
            self.s3.delete_object(Bucket=self.remote.bucket, Key=version["Key"], VersionId=version["VersionId"])
        self.s3.delete_bucket(Bucket=self.remote.bucket)
        self.client("dynamodb", self.remote.region).delete_table(TableName=self.remote.lock_table)
        return kept

    def restore_primary_region(self, kept: dict[str, bytes]) -> None:
        self.create_primary_region()
        for key, body in kept.items():
            self.s3.put_object(Bucket=self.remote.bucket, Key=key, Body=body)

    def replicate(self) -> None:
        """What the state bucket's replication rule does: every current object, into the replica."""
        for item in self.s3.list_objects_v2(Bucket=self.remote.bucket).get("Contents", []):
            self.s3.copy_object(
                Bucket=self.remote.replica_bucket,
                Key=item["Key"],
                CopySource={"Bucket": self.remote.bucket, "Key": item["Key"]},
            )

    def versions(self, bucket: str) -> list[dict]:
        listed = self.s3.list_object_versions(Bucket=bucket)
        return listed.get("Versions", []) + listed.get("DeleteMarkers", [])

    def state(self, bucket: str, role: str) -> dict:
        key = f"meridian/dev/{role}.tfstate"
        return json.loads(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())


@pytest.fixture(scope="module")
def local_aws() -> Iterator[LocalAws]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    aws = LocalAws(f"http://{host}:{port}", RemoteState(load("dev")))
    aws.create_primary_region()
    replica = aws.client("s3", aws.remote.replica_region)
    replica.create_bucket(
        Bucket=aws.remote.replica_bucket,
        CreateBucketConfiguration={"LocationConstraint": aws.remote.replica_region},  # type: ignore[typeddict-item]
    )
    replica.put_bucket_versioning(Bucket=aws.remote.replica_bucket, VersioningConfiguration={"Status": "Enabled"})
    yield aws
    server.stop()


class StackCopy:
    """A stack's synthesized folder, copied, with an override that points its S3 use at the local S3."""

    def __init__(self, directory: Path, endpoint: str) -> None:
        self.directory, self.endpoint = directory, endpoint

    def load(self, synth_outdir: Path, stack: str) -> StackCopy:
        self.directory.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(synth_outdir / "stacks" / stack / "cdk.tf.json", self.directory / "cdk.tf.json")
        config = json.loads((self.directory / "cdk.tf.json").read_text())
        local = dict(LOCAL_S3_SETTINGS, endpoints={"s3": self.endpoint, "dynamodb": self.endpoint})
        override: dict = {"terraform": {"backend": {"s3": dict(config["terraform"]["backend"]["s3"], **local)}}}
        remote_states = config.get("data", {}).get("terraform_remote_state", {})
        if remote_states:
            override["data"] = {
                "terraform_remote_state": {
                    name: {"config": dict(body["config"], **local)} for name, body in remote_states.items()
                }
            }
        (self.directory / "meridian_override.tf.json").write_text(json.dumps(override, indent=2))
        return self

    def terraform(self, *args: str, check: bool = True):
        if args[0] == "apply":
            require_stand_in(self.directory)  # resources only ever go to the offline stand-in
        return terraform.run([*args, "-no-color"], self.directory, check=check, cli_config=offline_cli_config())


def _synthesize(outdir: Path, **env: str) -> Path:
    process = start_synth("dev", outdir, **env)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stdout + stderr
    return outdir


@pytest.fixture(scope="module")
def failover(local_aws, dev, tmp_path_factory):
    """Normal operation, replication, loss of the primary region, then the README's procedure."""
    work = tmp_path_factory.mktemp("failover")
    primary = StackCopy(work / "primary", local_aws.endpoint).load(dev.outdir, "meridian-dev-primary")
    secondary = StackCopy(work / "secondary", local_aws.endpoint).load(dev.outdir, "meridian-dev-secondary")
    for stack in (primary, secondary):
        stack.terraform("init", "-input=false")
        stack.terraform("apply", "-input=false", "-auto-approve")
    before = local_aws.state(local_aws.remote.bucket, "secondary")
    local_aws.replicate()
    kept = local_aws.lose_primary_region()

    # the procedure: synth against the replica, re-initialize, plan, apply
    replica_outdir = _synthesize(work / "synth-replica", MERIDIAN_STATE_SOURCE="replica")
    secondary.load(replica_outdir, "meridian-dev-secondary")
    secondary.terraform("init", "-input=false", "-reconfigure")
    plan_on_replica = secondary.terraform("plan", "-input=false", "-detailed-exitcode", check=False)
    stream = next(iter(json.loads((secondary.directory / "cdk.tf.json").read_text())["resource"]["aws_kinesis_stream"]))
    secondary.terraform("apply", "-input=false", "-auto-approve", f"-replace=aws_kinesis_stream.{stream}")
    during = local_aws.state(local_aws.remote.replica_bucket, "secondary")
    replica_object = local_aws.s3.head_object(
        Bucket=local_aws.remote.replica_bucket, Key="meridian/dev/secondary.tfstate"
    )

    # the region is back: a normal synth, and the state written during the outage migrates back
    local_aws.restore_primary_region(kept)
    secondary.load(dev.outdir, "meridian-dev-secondary")
    migrate = secondary.terraform("init", "-input=false", "-migrate-state", "-force-copy")
    plan_after = secondary.terraform("plan", "-input=false", "-detailed-exitcode", check=False)
    return {
        "before": before,
        "plan_on_replica": plan_on_replica,
        "during": during,
        "replica_object": replica_object,
        "migrate": migrate,
        "plan_after": plan_after,
        "after": local_aws.state(local_aws.remote.bucket, "secondary"),
        "replica_versions": local_aws.versions(local_aws.remote.replica_bucket),
    }


@pytest.mark.req("DC-3")
def test_replica_mode_points_every_backend_and_remote_state_read_at_the_replica(tmp_path):
    outdir = _synthesize(tmp_path / "synth", MERIDIAN_STATE_SOURCE="replica")
    remote = RemoteState(load("dev"))
    for role in ("primary", "secondary", "global"):
        stack = json.loads((outdir / "stacks" / f"meridian-dev-{role}" / "cdk.tf.json").read_text())
        backend = stack["terraform"]["backend"]["s3"]
        assert (backend["bucket"], backend["region"]) == (remote.replica_bucket, remote.replica_region)
        assert "dynamodb_table" not in backend and backend["use_lockfile"] is True, "the table is in the lost region"
        for read in stack.get("data", {}).get("terraform_remote_state", {}).values():
            assert (read["config"]["bucket"], read["config"]["region"]) == (
                remote.replica_bucket,
                remote.replica_region,
            )
    state = json.loads((outdir / "stacks" / "meridian-dev-state" / "cdk.tf.json").read_text())
    assert "local" in state["terraform"]["backend"], "the bootstrap stack keeps its local state"


@pytest.mark.req("DC-3")
def test_without_the_primary_region_a_stack_plans_from_the_replica_with_no_change(failover):
    assert failover["plan_on_replica"].returncode == 0, failover["plan_on_replica"].stdout[-3000:]


@pytest.mark.req("DC-3")
def test_an_apply_on_the_replica_locks_with_the_s3_lock_file_and_writes_the_state_there(failover):
    assert failover["during"]["serial"] > failover["before"]["serial"]
    assert failover["during"]["lineage"] == failover["before"]["lineage"]
    lock_versions = [v for v in failover["replica_versions"] if v["Key"] == "meridian/dev/secondary.tfstate.tflock"]
    assert lock_versions, "the apply took its lock as an S3 lock file in the replica bucket"
    assert failover["replica_object"]["ServerSideEncryption"] == "aws:kms"
    assert failover["replica_object"]["SSEKMSKeyId"].endswith("alias/meridian-state-dev")


@pytest.mark.req("DC-3")
def test_when_the_region_is_back_the_state_migrates_into_the_state_bucket(failover):
    assert failover["migrate"].returncode == 0
    # the state bucket now holds the outage's state (newer than what it held), not its own old one
    assert failover["after"]["serial"] >= failover["during"]["serial"] > failover["before"]["serial"]
    assert failover["after"]["lineage"] == failover["during"]["lineage"]
    assert failover["after"]["resources"] == failover["during"]["resources"]
    assert failover["plan_after"].returncode == 0, failover["plan_after"].stdout[-3000:]
