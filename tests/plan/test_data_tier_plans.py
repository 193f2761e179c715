"""DATA-8 / DC-3 under Terraform: the secondary stack plans its replication rule against what the
primary stack really applied, and the state replica is planned in the secondary region."""

from __future__ import annotations

import pytest

from config import load
from stacks.base import RemoteState


@pytest.mark.req("DATA-8")
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_secondary_replicates_the_bucket_the_primary_applied(planned, env):
    primary_outputs = planned[env]["primary"].outputs
    rule = planned[env]["secondary"].plan.only_created("aws_s3_bucket_replication_configuration").after

    assert rule["bucket"] == primary_outputs["documents_bucket_name"]
    assert rule["region"] == load(env).regions.primary.name
    assert rule["rule"][0]["source_selection_criteria"][0]["sse_kms_encrypted_objects"][0]["status"] == "Enabled"


@pytest.mark.req("DC-3")
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_state_replica_and_its_key_are_planned_in_the_secondary_region(planned, env):
    remote = RemoteState(load(env))
    plan = planned[env]["state"].plan
    buckets = {change.after["bucket"]: change.after for change in plan.created("aws_s3_bucket")}
    key_regions = sorted(change.after["region"] for change in plan.created("aws_kms_key"))

    assert buckets[remote.replica_bucket]["region"] == remote.replica_region
    assert buckets[remote.bucket]["region"] == remote.region
    assert key_regions == sorted([remote.region, remote.replica_region])
