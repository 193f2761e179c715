"""DC-4 for the governance blocks: Terraform plans the user pools, AWS Config and peer roles of every
environment, and the applied stand-in hands consumers the token-check outputs (EDGE-2, SEC-6, SEC-7)."""

import pytest

from config import load

ENVS = ["dev", "staging", "prod"]


@pytest.mark.req("SEC-7")
@pytest.mark.req("EDGE-2")
@pytest.mark.parametrize("env", ENVS)
def test_each_region_plans_its_user_pools_and_aws_config(planned, env):
    populations = load(env).identity.populations
    for role in ("primary", "secondary"):
        plan = planned[env][role].plan
        created = plan.count_by_type()
        assert created["aws_cognito_user_pool"] == created["aws_cognito_user_pool_client"] == len(populations)
        assert created["aws_config_configuration_recorder"] == created["aws_config_delivery_channel"] == 1
        assert created["aws_config_configuration_recorder_status"] == 1 and created["aws_config_config_rule"] == 5
        recorder = plan.only_created("aws_config_configuration_recorder").after
        assert recorder["recording_group"][0]["include_global_resource_types"] is (role == "primary")
        for pool in plan.created("aws_cognito_user_pool"):
            assert pool.after["user_pool_add_ons"][0]["advanced_security_mode"] == "ENFORCED"
            assert pool.after["mfa_configuration"] == "ON"


@pytest.mark.req("SEC-6")
@pytest.mark.parametrize("env", ENVS)
def test_global_plans_one_peer_role_per_configured_peer(planned, env):
    peers = load(env).accounts.peers
    roles = planned[env]["global"].plan.created("aws_iam_role")
    assert sorted(role.after["name"] for role in roles) == sorted(
        f"meridian-peer-{peer}-state-reader-{env}" for peer in peers
    )


@pytest.mark.req("EDGE-2")
@pytest.mark.req("DC-10")
def test_applied_region_outputs_issuer_jwks_and_client_of_each_pool(planned):
    outputs = planned["dev"]["primary"].outputs
    for population in load("dev").identity.populations:
        issuer = outputs[f"{population}_issuer_url"]
        assert issuer.startswith("https://") and outputs[f"{population}_jwks_url"] == f"{issuer}/.well-known/jwks.json"
        assert outputs[f"{population}_client_id"] and outputs[f"{population}_user_pool_arn"]
