"""EDGE-2, SEC-6, SEC-7, DC-10 on the synthesized stacks of every environment: user pools and AWS
Config in each region, one read-only role per configured peer in the global stack, none without peers."""

from __future__ import annotations

import json

import pytest

from config import load
from tests.support.synth import ROLES

ENVIRONMENTS = ("dev", "staging", "prod")
REGIONAL = ("primary", "secondary")
POOL_OUTPUTS = ("user_pool_id", "user_pool_arn", "issuer_url", "jwks_url", "client_id")


def _trust(role: dict) -> dict:
    return json.loads(role["assume_role_policy"])


@pytest.mark.req("SEC-6")
@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_each_configured_peer_gets_one_role_trusting_its_account_with_its_external_id(synthesized, name):
    # GIVEN the environment's configured peers
    env, peers = synthesized[name], load(name).accounts.peers
    # WHEN the global stack is synthesized
    roles = env.resources("global", "aws_iam_role")
    # THEN there is one role per peer, trusting that account's roles when they present its ExternalId
    trusted = {}
    for role in roles.values():
        (assume,) = _trust(role)["Statement"]
        trusted[assume["Principal"]["AWS"]] = (assume["Condition"]["StringEquals"]["sts:ExternalId"], role["name"])
    assert trusted == {
        f"arn:aws:iam::{peer.account}:root": (peer.external_id, f"meridian-peer-{peer_env}-state-reader-{name}")
        for peer_env, peer in peers.items()
    }
    output = env.stack("global")["output"]["peer_role_arns"]
    assert set(output["value"]) == set(peers) and "ExternalId" in output["description"]


@pytest.mark.req("SEC-6")
@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_no_role_in_any_stack_trusts_the_own_account_and_no_trust_policy_names_a_resource(synthesized, name):
    env, own = synthesized[name], load(name).accounts.own
    for role in ROLES:
        for logical, body in env.resources(role, "aws_iam_role").items():
            for assume in _trust(body)["Statement"]:
                assert own not in json.dumps(assume.get("Principal", {})), f"{role}: {logical} trusts its own account"
                assert "Resource" not in assume, f"{role}: {logical}: IAM refuses a trust policy with a Resource"


@pytest.mark.req("SEC-6")
def test_peer_roles_may_only_read_the_environments_own_terraform_state(dev):
    for body in dev.resources("global", "aws_iam_role_policy").values():
        document = json.loads(body["policy"])
        actions = {s["Action"] for s in document["Statement"]}
        assert actions == {"s3:GetObject", "s3:ListBucket", "kms:Decrypt"}
        (objects,) = [s["Resource"] for s in document["Statement"] if s["Action"] == "s3:GetObject"]
        assert objects == "arn:aws:s3:::meridian-tfstate-210987654321-us-east-1-dev/meridian/dev/*"


@pytest.mark.req("SEC-6")
def test_without_peers_the_global_stack_has_no_cross_account_role():
    # GIVEN dev's configuration with no peers
    from cdktf import Testing

    from stacks.app import build_environment

    config = load("dev")
    lonely = config.model_copy(update={"accounts": config.accounts.model_copy(update={"peers": {}})})
    # WHEN its stacks are built
    stacks = {stack.role: stack for stack in build_environment(Testing.app(), lonely)}
    global_ = json.loads(Testing.synth(stacks["global"]))
    # THEN the global stack holds no role, no role policy and no peer output
    assert "aws_iam_role" not in global_.get("resource", {}) and "aws_iam_role_policy" not in global_["resource"]
    assert "peer_role_arns" not in global_.get("output", {})


@pytest.mark.req("SEC-7")
@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_each_region_records_with_aws_config_and_only_the_primary_records_global_types(synthesized, name):
    env = synthesized[name]
    for role in REGIONAL:
        recorder = env.only(role, "aws_config_configuration_recorder")
        assert recorder["recording_group"]["all_supported"] is True
        assert recorder["recording_group"]["include_global_resource_types"] is (role == "primary"), role
        assert env.only(role, "aws_config_configuration_recorder_status")["is_enabled"] is True
        channel = env.only(role, "aws_config_delivery_channel")
        assert "aws_s3_bucket.aws-config_delivery_bucket_" in channel["s3_bucket_name"]
        assert "aws_kms_key.keys_s3_key_" in channel["s3_kms_key_arn"]
        rules = env.resources(role, "aws_config_config_rule")
        assert len(rules) == 5
        assert all(r["depends_on"][0].startswith("aws_config_configuration_recorder_status.") for r in rules.values())
        required = next(r for r in rules.values() if r["source"]["source_identifier"] == "REQUIRED_TAGS")
        tags = json.loads(required["input_parameters"])
        assert {tags[f"tag{n}Key"] for n in range(1, 7)} == set(load(name).default_tags())
        outputs = env.stack(role)["output"]
        for output in ("config_recorder_name", "config_bucket_name", "config_rule_names"):
            assert outputs[output]["description"], f"{role}: {output}"


@pytest.mark.req("EDGE-2")
@pytest.mark.req("DC-10")
@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_each_region_has_one_user_pool_per_population_with_token_outputs(synthesized, name):
    env, identity = synthesized[name], load(name).identity
    for role in REGIONAL:
        pools = {body["name"]: body for body in env.resources(role, "aws_cognito_user_pool").values()}
        assert set(pools) == {f"meridian-{population}-{name}" for population in identity.populations}
        for pool in pools.values():
            assert pool["password_policy"]["minimum_length"] == identity.password_min_length >= 12
            assert pool["mfa_configuration"] == {"required": "ON", "optional": "OPTIONAL"}[identity.mfa]
            assert pool["user_pool_add_ons"]["advanced_security_mode"] == "ENFORCED"
        clients = env.resources(role, "aws_cognito_user_pool_client").values()
        assert len(clients) == len(pools) and all(c["generate_secret"] is False for c in clients)
        outputs = env.stack(role)["output"]
        for population in identity.populations:
            for suffix in POOL_OUTPUTS:
                output = outputs[f"{population}_{suffix}"]
                assert output["description"] and population in output["description"], f"{role}: {suffix}"
            assert outputs[f"{population}_jwks_url"]["value"].endswith("/.well-known/jwks.json")


@pytest.mark.req("EDGE-2")
@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_no_stack_hands_out_aws_credentials_through_an_identity_pool(synthesized, name):
    for role in ROLES:
        assert synthesized[name].resources(role, "aws_cognito_identity_pool") == {}, role
