"""DC-2: the bootstrap stack builds the state bucket and lock table; every other stack uses them."""

import pytest

from config import load
from stacks.base import RemoteState
from tests.support.bucket_policy import tls_problems
from tests.support.synth import ROLES


def _bucket_part(env, type_, bucket_name):
    state = env.resources("state", "aws_s3_bucket")
    (logical,) = [name for name, body in state.items() if body["bucket"] == bucket_name]
    (part,) = [b for b in env.resources("state", type_).values() if f"aws_s3_bucket.{logical}." in b["bucket"]]
    return part


@pytest.mark.req("DC-2")
@pytest.mark.parametrize("name", ["dev", "prod"])
def test_state_bucket_is_versioned_cmk_encrypted_private_tls_only_with_noncurrent_expiry(synthesized, name):
    env = synthesized[name]
    remote = RemoteState(load(name))
    assert _bucket_part(env, "aws_s3_bucket_versioning", remote.bucket)["versioning_configuration"] == {
        "status": "Enabled"
    }
    sse = _bucket_part(env, "aws_s3_bucket_server_side_encryption_configuration", remote.bucket)["rule"][0]
    # the state key of the state bucket's region (the replica has its own, DC-3)
    ((key_logical, state_key),) = [
        (n, k) for n, k in env.resources("state", "aws_kms_key").items() if k["region"] == remote.region
    ]
    assert state_key["enable_key_rotation"] is True
    assert sse["apply_server_side_encryption_by_default"] == {
        "sse_algorithm": "aws:kms",
        "kms_master_key_id": f"${{aws_kms_key.{key_logical}.arn}}",
    }
    block = _bucket_part(env, "aws_s3_bucket_public_access_block", remote.bucket)
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    assert tls_problems(f"meridian-{name}-state", env.stack("state")) == []
    lifecycle = _bucket_part(env, "aws_s3_bucket_lifecycle_configuration", remote.bucket)["rule"][0]
    assert lifecycle["noncurrent_version_expiration"] == [
        {"noncurrent_days": load(name).retention.state_noncurrent_days}
    ]


@pytest.mark.req("DC-2")
def test_lock_table_has_pitr_cmk_sse_and_deletion_protection_only_in_prod(dev, prod):
    for env, protected in ((dev, False), (prod, True)):
        table = env.only("state", "aws_dynamodb_table")
        assert table["hash_key"] == "LockID" and table["attribute"] == [{"name": "LockID", "type": "S"}]
        assert table["point_in_time_recovery"] == {"enabled": True}
        assert table["server_side_encryption"]["enabled"] is True
        assert table["server_side_encryption"]["kms_key_arn"].startswith("${aws_kms_key.")
        assert table["deletion_protection_enabled"] is protected


@pytest.mark.req("DC-2")
@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_every_other_stack_uses_the_s3_backend_with_a_unique_key(synthesized, name):
    env = synthesized[name]
    remote = RemoteState(load(name))
    bootstrap = env.stack("state")["terraform"]["backend"]
    assert bootstrap == {"local": {"path": f"../../../terraform.meridian-{name}-state.tfstate"}}, "relative, local"
    keys = set()
    for role in ROLES[1:]:
        backend = env.stack(role)["terraform"]["backend"]["s3"]
        assert backend["bucket"] == remote.bucket
        assert backend["dynamodb_table"] == remote.lock_table
        assert backend["encrypt"] is True and backend["use_lockfile"] is True
        assert backend["region"] == remote.region
        assert backend["key"] == f"meridian/{name}/{role}.tfstate"
        keys.add(backend["key"])
    assert len(keys) == 3
    assert env.only("state", "aws_dynamodb_table")["name"] == remote.lock_table
