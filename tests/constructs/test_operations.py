"""QA-1 / OPS-2 / OPS-3 / OPS-4 / DC-10: the dashboard, the alarms, the topic's subscribers and the budget's alerts."""

from __future__ import annotations

import json

import pytest

from constructs_lib.alarms import AlarmThresholds, RegionalAlarms, RegionalAlarmsProps
from constructs_lib.alerts import AlertTopic, AlertTopicProps
from constructs_lib.budget import MonthlyBudget, MonthlyBudgetProps
from constructs_lib.dashboard import RegionalDashboard, RegionalDashboardProps
from constructs_lib.kms import CustomerKey, CustomerKeyProps
from constructs_lib.metrics import (
    CacheMetrics,
    DatabaseMetrics,
    FunctionMetrics,
    LoadBalancerMetrics,
    ServiceMetrics,
    StreamMetrics,
)
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION, synth_construct

THRESHOLDS = AlarmThresholds(
    alb_5xx_percent=2.5,
    alb_p99_latency_ms=1500,
    ecs_cpu_percent=80,
    ecs_memory_percent=85,
    db_cpu_percent=75,
    db_free_local_storage_mib=4096,
    db_replica_lag_ms=1000,
    db_global_replication_lag_ms=5000,
    cache_cpu_percent=70,
    cache_memory_percent=80,
    lambda_errors=3,
    lambda_throttles=4,
    stream_iterator_age_ms=60000,
)
DATABASE = DatabaseMetrics("meridian-db-eu-west-1-test", replicates_from="us-east-1")
CACHE = CacheMetrics(("meridian-cache-test-001", "meridian-cache-test-002"))
STREAM = StreamMetrics("meridian-payments-test")
ALB = LoadBalancerMetrics("app/meridian-alb-test/0123456789abcdef", ("targetgroup/blue/0123",))
SERVICE = ServiceMetrics("meridian-cluster-test", "meridian-payment-service-test")
NOTIFIER = FunctionMetrics("meridian-notifier-test", "notifier")
EVERY_SOURCE = (STREAM, NOTIFIER, CACHE, DATABASE, SERVICE, ALB)  # deliberately out of order


def _topic(stack) -> AlertTopic:
    key = CustomerKey(stack, "sns", CustomerKeyProps("sns", TEST_NAMING, TEST_ACCOUNT, TEST_REGION))
    return AlertTopic(stack, "alerts", AlertTopicProps(name="alerts-test", key=key, account_id=TEST_ACCOUNT))


def _operations(*sources, region: str = TEST_REGION):
    def build(stack):
        topic = _topic(stack)
        topic.subscribe("email", "oncall@example.org")
        dashboard = RegionalDashboard(stack, "dashboard", RegionalDashboardProps("meridian-operations-test", region))
        alarms = RegionalAlarms(stack, "alarms", RegionalAlarmsProps(TEST_NAMING, topic, THRESHOLDS))
        for source in sources:
            dashboard.add(source)
            alarms.watch(source)

    return synth_construct(build)


@pytest.fixture(scope="module")
def everything():
    return _operations(*EVERY_SOURCE)


def _widgets(synth) -> list[dict]:
    return json.loads(synth.only("aws_cloudwatch_dashboard")["dashboard_body"])["widgets"]


def _topic_arn(synth) -> str:
    (logical,) = synth.resources("aws_sns_topic")
    return f"${{aws_sns_topic.{logical}.arn}}"


def _alarms(synth) -> dict[str, dict]:
    return {body["alarm_name"]: body for body in synth.resources("aws_cloudwatch_metric_alarm").values()}


@pytest.mark.req("OPS-2")
@pytest.mark.req("QA-1")
def test_dashboard_has_a_row_per_source_in_fixed_order_each_graph_in_the_stacks_region(everything):
    widgets = _widgets(everything)
    headings = [w["properties"]["markdown"] for w in widgets if w["type"] == "text"]
    assert headings == [
        "## ECS payment service",
        "## Application load balancer",
        "## Aurora PostgreSQL",
        "## ElastiCache Redis",
        "## Lambda",
        "## Kinesis payment events",
    ]
    graphs = [w for w in widgets if w["type"] == "metric"]
    assert {g["properties"]["region"] for g in graphs} == {TEST_REGION}
    drawn = {(line[0], line[1]) for g in graphs for line in g["properties"]["metrics"]}
    assert drawn >= {
        ("AWS/ECS", "CPUUtilization"),
        ("AWS/ECS", "MemoryUtilization"),
        ("ECS/ContainerInsights", "RunningTaskCount"),
        ("AWS/ApplicationELB", "RequestCount"),
        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
        ("AWS/ApplicationELB", "TargetResponseTime"),
        ("AWS/RDS", "CPUUtilization"),
        ("AWS/RDS", "DatabaseConnections"),
        ("AWS/RDS", "AuroraReplicaLag"),
        ("AWS/RDS", "AuroraGlobalDBReplicationLag"),
        ("AWS/RDS", "FreeableMemory"),
        ("AWS/ElastiCache", "EngineCPUUtilization"),
        ("AWS/ElastiCache", "DatabaseMemoryUsagePercentage"),
        ("AWS/ElastiCache", "Evictions"),
        ("AWS/ElastiCache", "ReplicationLag"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/Lambda", "Duration"),
        ("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds"),
        ("AWS/Kinesis", "WriteProvisionedThroughputExceeded"),
    }
    # no two widgets overlap on the grid
    cells = [
        (x, y) for w in widgets for x in range(w["x"], w["x"] + w["width"]) for y in range(w["y"], w["y"] + w["height"])
    ]
    assert len(cells) == len(set(cells))


@pytest.mark.req("OPS-2")
def test_a_region_without_a_source_has_no_row_and_an_empty_dashboard_is_refused():
    widgets = _widgets(_operations(DATABASE, STREAM))
    assert [w["properties"]["markdown"] for w in widgets if w["type"] == "text"] == [
        "## Aurora PostgreSQL",
        "## Kinesis payment events",
    ]
    with pytest.raises(RuntimeError, match="no metric source was added"):  # raised while synth resolves the body
        _operations()


@pytest.mark.req("DC-10")
@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2"])
def test_dashboard_url_is_built_from_the_dashboards_own_region(region):
    def build(stack):
        dashboard = RegionalDashboard(stack, "dashboard", RegionalDashboardProps("ops-test", region))
        dashboard.add(STREAM)
        assert dashboard.url.startswith(f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#")

    synth = synth_construct(build)
    graphs = [w for w in _widgets(synth) if w["type"] == "metric"]
    assert {g["properties"]["region"] for g in graphs} == {region}


@pytest.mark.req("OPS-3")
@pytest.mark.req("QA-1")
def test_every_alarm_notifies_the_topic_on_alarm_and_ok_and_says_what_to_do(everything):
    alarms = _alarms(everything)
    topic = _topic_arn(everything)
    assert sorted(alarms) == sorted(
        f"meridian-alarm-{label}-test"
        for label in (
            "alb-5xx-rate",
            "alb-p99-latency",
            "ecs-cpu",
            "ecs-memory",
            "db-cpu",
            "db-free-local-storage",
            "db-replica-lag",
            "db-global-replication-lag",
            "redis-cpu",
            "redis-memory",
            "lambda-notifier-errors",
            "lambda-notifier-throttles",
            "kinesis-iterator-age",
        )
    )
    for name, alarm in alarms.items():
        assert alarm["alarm_actions"] == alarm["ok_actions"] == [topic], name
        assert alarm["actions_enabled"] is True
        assert len(alarm["alarm_description"]) > 60, f"{name}: the description must say what to do"


@pytest.mark.req("OPS-3")
def test_thresholds_come_from_the_props_in_each_metrics_unit(everything):
    alarms = _alarms(everything)

    def threshold(label):
        return alarms[f"meridian-alarm-{label}-test"]["threshold"]

    assert threshold("alb-5xx-rate") == 2.5 and threshold("alb-p99-latency") == 1.5  # seconds
    assert threshold("db-free-local-storage") == 4096 * 1024 * 1024  # bytes
    assert (threshold("db-cpu"), threshold("db-global-replication-lag"), threshold("redis-memory")) == (75, 5000, 80)
    assert threshold("kinesis-iterator-age") == 60000 and threshold("lambda-notifier-throttles") == 4
    storage = alarms["meridian-alarm-db-free-local-storage-test"]
    assert (storage["metric_name"], storage["statistic"]) == ("FreeLocalStorage", "Minimum")
    assert storage["comparison_operator"] == "LessThanThreshold"
    latency = alarms["meridian-alarm-alb-p99-latency-test"]
    assert latency["extended_statistic"] == "p99" and "statistic" not in latency


@pytest.mark.req("OPS-3")
def test_global_replication_lag_is_watched_only_for_a_member_that_replicates_from_another_region():
    primary = _alarms(_operations(DatabaseMetrics("meridian-db-us-east-1-test")))
    assert "meridian-alarm-db-global-replication-lag-test" not in primary
    secondary = _alarms(_operations(DATABASE))["meridian-alarm-db-global-replication-lag-test"]
    assert secondary["namespace"] == "AWS/RDS" and secondary["metric_name"] == "AuroraGlobalDBReplicationLag"
    assert secondary["dimensions"] == {"SourceRegion": "us-east-1"}


@pytest.mark.req("OPS-3")
def test_rates_and_busiest_node_alarms_are_metric_math_over_the_sources_metrics(everything):
    alarms = _alarms(everything)
    rate = alarms["meridian-alarm-alb-5xx-rate-test"]["metric_query"]
    assert [q.get("metric", {}).get("metric_name") for q in rate] == [
        "RequestCount",
        "HTTPCode_ELB_5XX_Count",
        "HTTPCode_Target_5XX_Count",
        None,
    ]
    assert rate[-1]["expression"] == "100 * (FILL(m1, 0) + FILL(m2, 0)) / FILL(m0, 1)" and rate[-1]["return_data"]
    cpu = alarms["meridian-alarm-redis-cpu-test"]["metric_query"]
    assert [q["metric"]["dimensions"] for q in cpu[:-1]] == [
        {"CacheClusterId": "meridian-cache-test-001"},
        {"CacheClusterId": "meridian-cache-test-002"},
    ]
    assert cpu[-1]["expression"] == "MAX([m0, m1])"


@pytest.mark.req("OPS-3")
def test_ecs_alarms_exist_only_for_a_watched_service():
    # GIVEN a region whose ECS service is not deployed: the stack does not hand the service over
    without = _alarms(_operations(ALB, DATABASE))
    assert not [name for name in without if "-ecs-" in name]
    with_service = _alarms(_operations(ALB, DATABASE, SERVICE))
    ecs = {name: a for name, a in with_service.items() if "-ecs-" in name}
    assert {a["metric_name"] for a in ecs.values()} == {"CPUUtilization", "MemoryUtilization"}
    assert all(
        a["dimensions"] == {"ClusterName": SERVICE.cluster_name, "ServiceName": SERVICE.service_name}
        for a in ecs.values()
    )


@pytest.mark.req("OPS-3")
def test_a_source_watched_twice_is_refused():
    with pytest.raises(ValueError, match="alarm kinesis-iterator-age is watched twice"):
        _operations(STREAM, STREAM)


@pytest.mark.req("OPS-3")
def test_topic_subscribers_are_one_subscription_each(everything):
    (subscription,) = everything.resources("aws_sns_topic_subscription").values()
    assert (subscription["protocol"], subscription["endpoint"]) == ("email", "oncall@example.org")
    assert subscription["topic_arn"] == _topic_arn(everything)


@pytest.mark.req("OPS-4")
@pytest.mark.req("QA-1")
def test_budget_notifies_the_topic_at_every_configured_forecast_and_actual_percentage():
    def build(stack):
        topic = _topic(stack)
        MonthlyBudget(
            stack,
            "budget",
            MonthlyBudgetProps("cost-test", 2000, topic, forecast_percents=(80, 100), actual_percents=(50, 100)),
        )

    synth = synth_construct(build)
    notifications = synth.only("aws_budgets_budget")["notification"]
    assert sorted((n["notification_type"], n["threshold"]) for n in notifications) == [
        ("ACTUAL", 50),
        ("ACTUAL", 100),
        ("FORECASTED", 80),
        ("FORECASTED", 100),
    ]
    assert all(
        n["threshold_type"] == "PERCENTAGE" and n["comparison_operator"] == "GREATER_THAN" for n in notifications
    )
    assert {arn for n in notifications for arn in n["subscriber_sns_topic_arns"]} == {_topic_arn(synth)}
    publishers = json.loads(synth.only("aws_sns_topic_policy")["policy"])["Statement"][0]["Principal"]["Service"]
    assert "budgets.amazonaws.com" in publishers
