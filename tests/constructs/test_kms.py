"""QA-1 / SEC-1: customer-managed keys rotate, are aliased per environment, have explicit policies."""

import copy

import pytest

from constructs_lib.kms import DATA_CLASSES, CustomerKey, CustomerKeyProps, KeyRing
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION, policy, statement, synth_construct


@pytest.fixture(scope="module")
def ring():
    return synth_construct(
        lambda stack: KeyRing(
            stack,
            "keys",
            naming=TEST_NAMING,
            account_id=TEST_ACCOUNT,
            region=TEST_REGION,
            purposes=("logs", "database", "sns"),
        )
    )


def _key(ring, purpose):
    (key,) = [
        k for k in ring.resources("aws_kms_key").values() if k["description"].startswith(f"meridian-{purpose}-test")
    ]
    return key


@pytest.mark.req("QA-1")
def test_every_key_rotates_and_has_an_environment_alias(ring):
    keys = ring.resources("aws_kms_key")
    assert len(keys) == 3
    assert all(k["enable_key_rotation"] is True and k["deletion_window_in_days"] == 30 for k in keys.values())
    aliases = sorted(a["name"] for a in ring.resources("aws_kms_alias").values())
    assert aliases == ["alias/meridian-database-test", "alias/meridian-logs-test", "alias/meridian-sns-test"]


@pytest.mark.req("QA-1")
def test_logs_key_admits_only_this_accounts_and_regions_log_groups(ring):
    document = policy(_key(ring, "logs")["policy"])
    logs = statement(document, "CloudWatchLogsOfThisAccountAndRegion")
    assert logs["Principal"] == {"Service": f"logs.{TEST_REGION}.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{TEST_REGION}:{TEST_ACCOUNT}:log-group:*"}
    }
    assert "UseThroughOwnServices" not in {s["Sid"] for s in document["Statement"]}


@pytest.mark.req("QA-1")
def test_service_use_is_limited_to_this_account_through_the_named_service(ring):
    use = statement(policy(_key(ring, "database")["policy"]), "UseThroughOwnServices")
    assert use["Condition"] == {
        "StringEquals": {"kms:CallerAccount": TEST_ACCOUNT, "kms:ViaService": [f"rds.{TEST_REGION}.amazonaws.com"]}
    }
    root = statement(policy(_key(ring, "database")["policy"]), "AccountRootAdministers")
    assert root["Principal"] == {"AWS": f"arn:aws:iam::{TEST_ACCOUNT}:root"}


@pytest.mark.req("QA-1")
def test_sns_key_lets_alarm_and_budget_services_publish_for_this_account_only(ring):
    publish = statement(policy(_key(ring, "sns")["policy"]), "ServicesPublishForThisAccount")
    assert sorted(publish["Principal"]["Service"]) == ["budgets.amazonaws.com", "cloudwatch.amazonaws.com"]
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": TEST_ACCOUNT}}


@pytest.mark.req("QA-1")
def test_unknown_purpose_is_refused_with_the_allowed_list():
    with pytest.raises(ValueError, match="key purpose 'misc' is unknown; allowed: database"):
        synth_construct(
            lambda stack: CustomerKey(stack, "k", CustomerKeyProps("misc", TEST_NAMING, TEST_ACCOUNT, TEST_REGION))
        )


SEC1_DATA_CLASSES = ("database", "efs", "secrets", "kinesis", "logs", "s3", "sns", "backup", "cache", "ecr")


def missing_regional_keys(stack: dict, environment: str) -> list[str]:
    """SEC-1 data classes without an aliased, rotating CMK in a synthesized regional stack."""
    resources = stack.get("resource", {})
    aliases = {body["name"]: body["target_key_id"] for body in resources.get("aws_kms_alias", {}).values()}
    missing = []
    for purpose in SEC1_DATA_CLASSES:
        target = aliases.get(f"alias/meridian-{purpose}-{environment}", "")
        key = resources.get("aws_kms_key", {}).get(target.removeprefix("${aws_kms_key.").split(".")[0], {})
        if key.get("enable_key_rotation") is not True:
            missing.append(purpose)
    return missing


@pytest.mark.req("SEC-1")
@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_every_data_class_of_sec1_has_a_rotating_key_in_each_region(synthesized, role):
    for name, env in synthesized.items():
        assert missing_regional_keys(env.stack(role), name) == [], f"{name} {role}"
    assert set(SEC1_DATA_CLASSES) <= set(DATA_CLASSES)


@pytest.mark.req("SEC-1")
def test_the_key_check_bites_on_a_missing_or_unrotated_key(dev):
    # GIVEN the dev primary stack without its ECR key's alias and with rotation off on another key
    stack = copy.deepcopy(dev.stack("primary"))
    aliases = stack["resource"]["aws_kms_alias"]
    ecr = next(name for name, body in aliases.items() if body["name"] == "alias/meridian-ecr-dev")
    logs_target = next(body["target_key_id"] for body in aliases.values() if body["name"] == "alias/meridian-logs-dev")
    del aliases[ecr]
    stack["resource"]["aws_kms_key"][logs_target.split(".")[1]]["enable_key_rotation"] = False
    # THEN both data classes are named
    assert missing_regional_keys(stack, "dev") == ["logs", "ecr"]
