"""QA-1: the alert topic, the budget, the state backend, naming and policy helpers."""

import pytest

from constructs_lib.alerts import AlertTopic, AlertTopicProps
from constructs_lib.budget import MonthlyBudget, MonthlyBudgetProps
from constructs_lib.kms import CustomerKey, CustomerKeyProps
from constructs_lib.naming import Naming
from constructs_lib.policy import Statement, document
from constructs_lib.state_backend import StateBackend, StateBackendProps, StateReplicaProps
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION, policy, statement, synth_construct


def _key(stack, purpose):
    return CustomerKey(stack, purpose, CustomerKeyProps(purpose, TEST_NAMING, TEST_ACCOUNT, TEST_REGION))


@pytest.fixture(scope="module")
def alerting():
    def build(stack):
        topic = AlertTopic(
            stack, "alerts", AlertTopicProps(name="alerts-test", key=_key(stack, "sns"), account_id=TEST_ACCOUNT)
        )
        MonthlyBudget(stack, "budget", MonthlyBudgetProps(name="cost-test", limit_usd=1500, alert_topic=topic))

    return synth_construct(build)


@pytest.mark.req("QA-1")
def test_alert_topic_is_cmk_encrypted_and_admits_only_the_wired_services(alerting):
    topic = alerting.only("aws_sns_topic")
    assert topic["kms_master_key_id"].startswith("${aws_kms_key.sns_key_")
    document_ = policy(alerting.only("aws_sns_topic_policy")["policy"])
    assert [s["Sid"] for s in document_["Statement"]] == ["ServicesPublishForThisAccount"]
    publish = statement(document_, "ServicesPublishForThisAccount")
    assert publish["Principal"] == {"Service": ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]}
    assert publish["Action"] == "sns:Publish" and publish["Resource"].startswith("${aws_sns_topic.")
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": TEST_ACCOUNT}}


@pytest.mark.req("QA-1")
def test_budget_alerts_on_forecast_and_actual_to_the_topic(alerting):
    budget = alerting.only("aws_budgets_budget")
    assert (budget["limit_amount"], budget["limit_unit"], budget["time_unit"]) == ("1500", "USD", "MONTHLY")
    kinds = {n["notification_type"]: n for n in budget["notification"]}
    assert set(kinds) == {"FORECASTED", "ACTUAL"}
    assert kinds["FORECASTED"]["threshold"] == 90 and kinds["ACTUAL"]["threshold"] == 100
    assert all(n["subscriber_sns_topic_arns"][0].startswith("${aws_sns_topic.") for n in kinds.values())


@pytest.mark.req("QA-1")
def test_state_backend_lock_table_and_log_bucket():
    def build(stack):
        StateBackend(
            stack,
            "backend-under-test",
            StateBackendProps(
                bucket_name="state-test",
                access_log_bucket_name="state-logs-test",
                lock_table_name="lock-test",
                key=_key(stack, "state"),
                noncurrent_version_days=90,
                access_log_days=365,
                deletion_protection=True,
                region=TEST_REGION,
                account_id=TEST_ACCOUNT,
                replica=StateReplicaProps(
                    region="eu-central-1",
                    bucket_name="state-replica-test",
                    access_log_bucket_name="state-replica-logs-test",
                    key=CustomerKey(
                        stack, "replica-key", CustomerKeyProps("state", TEST_NAMING, TEST_ACCOUNT, "eu-central-1")
                    ),
                    replication_role_name="state-replication-test",
                ),
            ),
        )

    synth = synth_construct(build)
    table = synth.only("aws_dynamodb_table")
    assert table["deletion_protection_enabled"] is True and table["billing_mode"] == "PAY_PER_REQUEST"
    buckets = {b["bucket"]: b.get("region") for b in synth.resources("aws_s3_bucket").values()}
    assert buckets == {
        "state-test": None,
        "state-logs-test": None,
        "state-replica-test": "eu-central-1",
        "state-replica-logs-test": "eu-central-1",
    }
    logging = {body["target_prefix"]: body for body in synth.resources("aws_s3_bucket_logging").values()}
    assert sorted(logging) == ["state-replica-test/", "state-test/"]


@pytest.mark.req("QA-1")
def test_naming_puts_the_environment_last():
    naming = Naming("meridian", "staging")
    assert naming.name("alerts") == "meridian-alerts-staging"
    assert naming.bucket("tfstate", "123456789012", "eu-west-1") == "meridian-tfstate-123456789012-eu-west-1-staging"
    assert naming.alias("logs") == "alias/meridian-logs-staging"
    assert naming.state_key("primary") == "meridian/staging/primary.tfstate"


@pytest.mark.req("QA-1")
def test_policy_document_refuses_duplicate_statement_ids():
    twice = [Statement(sid="A", actions=["s3:GetObject"], resources=["arn:aws:s3:::b/*"])] * 2
    with pytest.raises(ValueError, match="repeated: A"):
        document(twice)
