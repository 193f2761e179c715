"""QA-1, SEC-7: AWS Config records the region, delivers to an encrypted bucket, and judges only once it records."""

import json

import pytest

from constructs_lib.config_recorder import ConfigRecorder, ConfigRecorderProps
from constructs_lib.kms import CustomerKey, CustomerKeyProps
from constructs_lib.secure_bucket import SecureBucket, access_log_bucket_props
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION, policy, statement, synth_construct

TAGS = {"Project": "meridian", "Environment": "test", "Owner": "payments", "CostCenter": "CC-1", "ManagedBy": "cdktf"}


def _props(stack, purpose="s3", tags=None, global_types=True, **extra):
    key = CustomerKey(stack, f"key-{purpose}", CustomerKeyProps(purpose, TEST_NAMING, TEST_ACCOUNT, TEST_REGION))
    return ConfigRecorderProps(
        naming=TEST_NAMING,
        account_id=TEST_ACCOUNT,
        region=TEST_REGION,
        key=key,
        include_global_resource_types=global_types,
        required_tags=TAGS if tags is None else tags,
        history_days=365,
        **extra,
    )


def _recorder(global_types=True):
    def build(stack):
        logs = SecureBucket(stack, "access-logs", access_log_bucket_props("logs-test", 365))
        ConfigRecorder(stack, "aws-config", _props(stack, global_types=global_types, access_log_bucket=logs))

    return synth_construct(build)


@pytest.fixture(scope="module")
def primary():
    return _recorder(global_types=True)


def _ref(type_: str, body_name: str) -> str:
    return f"{type_}.aws-config_{body_name}_"


@pytest.mark.req("SEC-7")
@pytest.mark.req("QA-1")
def test_recorder_records_every_supported_type_and_global_types_only_where_asked(primary):
    recorder = primary.only("aws_config_configuration_recorder")
    assert recorder["recording_group"] == {"all_supported": True, "include_global_resource_types": True}
    assert recorder["name"] == "meridian-config-recorder-test"
    secondary = _recorder(global_types=False).only("aws_config_configuration_recorder")
    assert secondary["recording_group"]["include_global_resource_types"] is False


@pytest.mark.req("SEC-7")
@pytest.mark.req("QA-1")
def test_recorder_role_is_config_only_with_the_managed_policy_attached_not_managed_policy_arns(primary):
    (role,) = primary.resources("aws_iam_role").values()
    assert "managed_policy_arns" not in role and "inline_policy" not in role
    trust = statement(policy(role["assume_role_policy"]), "ServiceAssumesForThisAccount")
    assert trust["Principal"] == {"Service": "config.amazonaws.com"} and "Resource" not in trust
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": TEST_ACCOUNT}}
    attachment = primary.only("aws_iam_role_policy_attachment")
    assert attachment["policy_arn"] == "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"
    assert attachment["role"].startswith("${aws_iam_role.aws-config_role_")
    recorder = primary.only("aws_config_configuration_recorder")
    assert recorder["role_arn"].startswith("${aws_iam_role.aws-config_role_")


@pytest.mark.req("SEC-7")
@pytest.mark.req("QA-1")
def test_delivery_goes_to_a_cmk_encrypted_logged_bucket_the_role_may_write(primary):
    channel = primary.only("aws_config_delivery_channel")
    assert channel["s3_bucket_name"].startswith("${aws_s3_bucket.aws-config_delivery_bucket_")
    assert channel["s3_kms_key_arn"].startswith("${aws_kms_key.key-s3_key_")
    assert channel["snapshot_delivery_properties"] == {"delivery_frequency": "TwentyFour_Hours"}
    encryption = [
        rule["apply_server_side_encryption_by_default"]
        for body in primary.resources("aws_s3_bucket_server_side_encryption_configuration").values()
        for rule in body["rule"]
        if "aws-config_delivery" in body["bucket"]
    ]
    assert [e["sse_algorithm"] for e in encryption] == ["aws:kms"]
    assert encryption[0]["kms_master_key_id"].startswith("${aws_kms_key.key-s3_key_")
    logging = primary.only("aws_s3_bucket_logging")
    assert "aws-config_delivery" in logging["bucket"] and "access-logs_bucket" in logging["target_bucket"]
    role_policy = policy(primary.only("aws_iam_role_policy")["policy"])
    deliver = statement(role_policy, "DeliverConfiguration")
    assert deliver["Action"] == "s3:PutObject" and deliver["Resource"].endswith(f"/AWSLogs/{TEST_ACCOUNT}/Config/*")
    encrypt = statement(role_policy, "EncryptDeliveries")
    assert encrypt["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{TEST_REGION}.amazonaws.com"}}


@pytest.mark.req("SEC-7")
@pytest.mark.req("QA-1")
def test_bucket_policy_admits_config_delivery_for_this_account_only(primary):
    (document,) = [
        policy(body["policy"])
        for body in primary.resources("aws_s3_bucket_policy").values()
        if "aws-config_delivery" in body["bucket"]
    ]
    for sid, action in (
        ("ConfigChecksBucketAcl", "s3:GetBucketAcl"),
        ("ConfigChecksBucketExists", "s3:ListBucket"),
        ("ConfigDelivers", "s3:PutObject"),
    ):
        granted = statement(document, sid)
        assert granted["Principal"] == {"Service": "config.amazonaws.com"} and granted["Action"] == action
        assert granted["Condition"]["StringEquals"]["aws:SourceAccount"] == TEST_ACCOUNT
    assert statement(document, "ConfigDelivers")["Resource"].endswith(f"/AWSLogs/{TEST_ACCOUNT}/Config/*")
    assert statement(document, "DenyInsecureTransport")["Effect"] == "Deny"


@pytest.mark.req("SEC-7")
@pytest.mark.req("QA-1")
def test_status_enables_recording_after_the_channel_and_every_rule_waits_for_it(primary):
    status = primary.only("aws_config_configuration_recorder_status")
    assert status["is_enabled"] is True
    assert status["name"].startswith("${aws_config_configuration_recorder.aws-config_recorder_")
    (waits_for,) = status["depends_on"]
    assert waits_for.startswith(_ref("aws_config_delivery_channel", "channel"))
    channel = primary.only("aws_config_delivery_channel")
    assert [d.split(".")[0] for d in channel["depends_on"]] == ["aws_config_configuration_recorder"]
    rules = primary.resources("aws_config_config_rule")
    assert len(rules) == 5
    for name, rule in rules.items():
        assert len(rule["depends_on"]) == 1 and rule["depends_on"][0].startswith(
            _ref("aws_config_configuration_recorder_status", "status")
        ), name


@pytest.mark.req("SEC-7")
@pytest.mark.req("QA-1")
def test_managed_rules_judge_tags_and_encryption_of_s3_rds_volumes_and_log_groups(primary):
    rules = {body["source"]["source_identifier"]: body for body in primary.resources("aws_config_config_rule").values()}
    assert set(rules) == {
        "REQUIRED_TAGS",
        "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
        "RDS_STORAGE_ENCRYPTED",
        "ENCRYPTED_VOLUMES",
        "CLOUDWATCH_LOG_GROUP_ENCRYPTED",
    }
    assert {body["source"]["owner"] for body in rules.values()} == {"AWS"}
    parameters = json.loads(rules["REQUIRED_TAGS"]["input_parameters"])
    assert {parameters[f"tag{n}Key"]: parameters[f"tag{n}Value"] for n in range(1, len(TAGS) + 1)} == TAGS
    assert all(body["name"].endswith("-test") for body in rules.values())


@pytest.mark.req("SEC-7")
def test_a_recorder_with_the_wrong_key_or_too_many_tags_is_refused():
    def wrong_key(stack):
        _props(stack, purpose="logs")

    def seven_tags(stack):
        _props(stack, tags={f"Tag{n}": "x" for n in range(7)})

    with pytest.raises(ValueError, match="encrypted with the 's3' key, not the 'logs' key"):
        synth_construct(wrong_key)
    with pytest.raises(ValueError, match="REQUIRED_TAGS checks 1 to 6 tags; given 7"):
        synth_construct(seven_tags)
