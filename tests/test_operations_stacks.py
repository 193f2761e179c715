"""OPS-1..OPS-5, DC-10 on the synthesized stacks of every environment: one log retention everywhere, a
dashboard and alarms per region reaching the region's subscribers, budget alerts per environment,
lifecycle rules on every bucket and repository."""

from __future__ import annotations

import json

import pytest

from config import load
from tests.support.log_groups import REFERENCE, log_group_problems
from tests.support.synth import ROLES

ENVS = ["dev", "staging", "prod"]
REGIONAL = ("primary", "secondary")
VARIANTS = ["dev", "staging", "prod", "dev-nat-instances"]


def _environment(variant: str) -> str:
    return variant.split("-", 1)[0]


def _referenced(reference: str, type_: str) -> str:
    """`${aws_x.logical.attr}` of the expected type -> logical."""
    match = REFERENCE.match(reference)
    assert match and match.group(1) == type_, f"{reference!r} is not a reference to an {type_}"
    return match.group(2)


def _resources(stack: dict, type_: str) -> dict[str, dict]:
    return stack.get("resource", {}).get(type_, {})


# OPS-1 ---------------------------------------------------------------------------------------------


def log_retention_problems(stack_name: str, stack: dict, environment: str, days: int) -> list[str]:
    """Every log group of the stack has the one retention and the logs key; nothing writes to a group it lacks."""
    problems = log_group_problems(stack_name, stack, environment, days)
    groups = _resources(stack, "aws_cloudwatch_log_group")
    names = {group.get("name") for group in groups.values()}
    created = {f"${{aws_cloudwatch_log_group.{logical}.name}}" for logical in groups}
    # writers that would otherwise create their own group, with no retention and no key
    for logical, cluster in _resources(stack, "aws_rds_cluster").items():
        for log in cluster.get("enabled_cloudwatch_logs_exports", []):
            name = f"/aws/rds/cluster/{cluster['cluster_identifier']}/{log}"
            if name not in names:
                problems.append(f"{stack_name} {logical}: exports {log} into {name}, which the stack does not create")
    for logical, function in _resources(stack, "aws_lambda_function").items():
        configured = (function.get("logging_config") or {}).get("log_group")
        if configured not in created and f"/aws/lambda/{function.get('function_name')}" not in names:
            problems.append(f"{stack_name} {logical}: logs into a group the stack does not create")
    for logical, task in _resources(stack, "aws_ecs_task_definition").items():
        for container in json.loads(task["container_definitions"]):
            options = (container.get("logConfiguration") or {}).get("options", {})
            if options.get("awslogs-group") not in created:
                problems.append(
                    f"{stack_name} {logical}: container {container['name']} logs outside the stack's groups"
                )
    return problems


@pytest.mark.req("OPS-1")
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_log_group_of_every_stack_has_the_one_retention_and_the_logs_key(every_variant, variant):
    # GIVEN every synthesized stack of the variant and its environment's one retention setting
    environment = _environment(variant)
    days = load(environment).retention.log_days
    synthesized = every_variant[variant]
    # WHEN each stack's log groups, and each writer that could create a group of its own, are walked
    problems = [
        problem
        for name, stack in synthesized.stacks.items()
        for problem in log_retention_problems(name, stack, environment, days)
    ]
    # THEN none lacks the retention or the key
    assert problems == []
    assert sum(len(_resources(s, "aws_cloudwatch_log_group")) for s in synthesized.stacks.values()) >= 4


@pytest.mark.req("OPS-1")
def test_prod_keeps_logs_seven_years_as_2557_days(prod):
    assert load("prod").retention.log_years == 7
    retentions = {
        group["retention_in_days"]
        for stack in prod.stacks.values()
        for group in _resources(stack, "aws_cloudwatch_log_group").values()
    }
    assert retentions == {2557}


@pytest.mark.req("OPS-1")
def test_the_walk_bites_on_a_group_with_its_own_retention_or_none(prod):
    # GIVEN prod's primary stack with one group kept 30 days and another without retention or key
    stack = json.loads(json.dumps(prod.stack("primary")))
    first, second = list(_resources(stack, "aws_cloudwatch_log_group").values())[:2]
    first["retention_in_days"] = 30
    del second["retention_in_days"], second["kms_key_id"]
    # AND an RDS export whose group is gone
    (cluster,) = _resources(stack, "aws_rds_cluster").values()
    cluster["enabled_cloudwatch_logs_exports"] = ["postgresql", "upgrade"]
    problems = log_retention_problems("p", stack, "prod", 2557)
    assert len(problems) == 4, problems


# OPS-2, DC-10 -----------------------------------------------------------------------------------


def _dashboard(stack: dict) -> tuple[str, dict]:
    ((logical, dashboard),) = _resources(stack, "aws_cloudwatch_dashboard").items()
    return logical, json.loads(dashboard["dashboard_body"])


def _drawn(body: dict) -> dict[str, list[list]]:
    """Namespace -> every metric line the dashboard draws from it."""
    lines: dict[str, list[list]] = {}
    for widget in body["widgets"]:
        for line in widget.get("properties", {}).get("metrics", []):
            lines.setdefault(line[0], []).append(line)
    return lines


@pytest.mark.req("OPS-2")
@pytest.mark.parametrize("env", ENVS)
def test_each_region_has_a_dashboard_of_its_own_stores_in_its_own_region(synthesized, env):
    for role, stack, region in synthesized[env].regional_stacks():
        logical, body = _dashboard(stack)
        # GIVEN the region's dashboard: named for its region (dashboard names are account-wide)
        assert _resources(stack, "aws_cloudwatch_dashboard")[logical]["dashboard_name"] == (
            f"meridian-operations-{region}-{env}"
        )
        graphs = [w for w in body["widgets"] if w["type"] == "metric"]
        assert {g["properties"]["region"] for g in graphs} == {region}
        drawn = _drawn(body)
        # THEN its Aurora, Redis and Kinesis rows read this stack's own cluster, nodes and stream
        (cluster,) = _resources(stack, "aws_rds_cluster")
        (group,) = _resources(stack, "aws_elasticache_replication_group")
        (stream,) = _resources(stack, "aws_kinesis_stream")
        assert {line[3] for line in drawn["AWS/RDS"] if line[2] == "DBClusterIdentifier"} == {
            f"${{aws_rds_cluster.{cluster}.cluster_identifier}}"
        }
        nodes = load(env).capacity.cache_nodes
        assert {line[3] for line in drawn["AWS/ElastiCache"]} == {
            f"${{aws_elasticache_replication_group.{group}.replication_group_id}}-{n:03d}" for n in range(1, nodes + 1)
        }
        assert {line[3] for line in drawn["AWS/Kinesis"]} == {f"${{aws_kinesis_stream.{stream}.name}}"}
        # AND the secondary also draws its lag behind the primary region, which only it publishes
        global_lag = [line for line in drawn["AWS/RDS"] if line[1] == "AuroraGlobalDBReplicationLag"]
        expected = [["SourceRegion", load(env).regions.primary.name]] if role == "secondary" else []
        assert [line[2:4] for line in global_lag] == expected


@pytest.mark.req("DC-10")
@pytest.mark.parametrize("env", ENVS)
def test_dashboard_url_output_is_built_from_the_stacks_own_region(synthesized, env):
    for _, stack, region in synthesized[env].regional_stacks():
        logical, _ = _dashboard(stack)
        output = stack["output"]["dashboard_url"]
        assert output["value"] == (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#dashboards/dashboard/${{aws_cloudwatch_dashboard.{logical}.dashboard_name}}"
        )
        assert region in output["description"]
        other = {load(env).regions.primary.name, load(env).regions.secondary.name} - {region}
        assert not any(o in output["value"] for o in other)


# OPS-3 ---------------------------------------------------------------------------------------------

FUNCTION_ALARMS = {
    f"lambda-{name}-{kind}" for name in ("notifier", "stream-processor") for kind in ("errors", "throttles")
}
PRIMARY_ALARMS = {
    "db-cpu",
    "db-free-local-storage",
    "db-replica-lag",
    "redis-cpu",
    "redis-memory",
    "kinesis-iterator-age",
    "lambda-rotation-errors",
    "lambda-rotation-throttles",
    *FUNCTION_ALARMS,
}
SECONDARY_ALARMS = (PRIMARY_ALARMS - {"lambda-rotation-errors", "lambda-rotation-throttles"}) | {
    "db-global-replication-lag"
}
RUNTIME_ALARMS = {"alb-5xx-rate", "alb-p99-latency", "ecs-cpu", "ecs-memory"}


def _alarms(stack: dict, env: str) -> dict[str, dict]:
    """Label (the name without meridian-alarm- and -env) -> alarm."""
    return {
        alarm["alarm_name"].removeprefix("meridian-alarm-").removesuffix(f"-{env}"): alarm
        for alarm in _resources(stack, "aws_cloudwatch_metric_alarm").values()
    }


def _topic_arn(stack: dict) -> str:
    """The region's alert topic (the payment events topic of the Lambda functions is another)."""
    (logical,) = [
        logical for logical, topic in _resources(stack, "aws_sns_topic").items() if "-alerts-" in topic["name"]
    ]
    return f"${{aws_sns_topic.{logical}.arn}}"


@pytest.mark.req("OPS-3")
@pytest.mark.parametrize("env", ENVS)
def test_each_regions_alarms_reach_its_own_topic_with_the_configured_thresholds(synthesized, env):
    config = load(env)
    thresholds = config.operations.alarms
    for role in REGIONAL:
        stack = synthesized[env].stack(role)
        alarms = _alarms(stack, env)
        # GIVEN the region's alarms: the secondary's also watch its lag behind the primary region and
        # have no rotation function; no ECS or load-balancer alarm exists while the service is not
        # deployed (every shipped config)
        assert config.service.deploy is False
        assert set(alarms) == (PRIMARY_ALARMS if role == "primary" else SECONDARY_ALARMS)
        for label, alarm in alarms.items():
            # THEN each goes to this region's topic when it fires and when it clears, and says what to do
            assert alarm["alarm_actions"] == alarm["ok_actions"] == [_topic_arn(stack)], label
            assert alarm["actions_enabled"] is True and len(alarm["alarm_description"]) > 60, label
        assert alarms["db-cpu"]["threshold"] == thresholds.db_cpu_percent
        assert alarms["redis-memory"]["threshold"] == thresholds.cache_memory_percent
        assert alarms["kinesis-iterator-age"]["threshold"] == thresholds.stream_iterator_age_ms
        assert alarms["db-free-local-storage"]["threshold"] == thresholds.db_free_local_storage_mib * 1024 * 1024
    secondary = _alarms(synthesized[env].stack("secondary"), env)["db-global-replication-lag"]
    assert secondary["dimensions"] == {"SourceRegion": config.regions.primary.name}
    assert secondary["threshold"] == thresholds.db_global_replication_lag_ms


@pytest.mark.req("OPS-3", "APP-4")
def test_a_deployed_service_and_its_load_balancer_are_watched_in_each_region(deployed):
    for role in REGIONAL:
        stack = deployed.stack(role)
        alarms = _alarms(stack, "dev")
        # GIVEN dev with the deploy switch on WHEN its regional alarms are read
        # THEN the service's CPU and memory and its load balancer's 5xx rate and latency are watched too
        # (the service's own deployment alarms, which roll a bad deployment back, are APP-4's)
        operators = {label for label in alarms if not label.startswith("meridian-payment-service-")}
        assert operators == (PRIMARY_ALARMS if role == "primary" else SECONDARY_ALARMS) | RUNTIME_ALARMS
        (service,) = _resources(stack, "aws_ecs_service")
        (cluster,) = _resources(stack, "aws_ecs_cluster")
        assert alarms["ecs-cpu"]["dimensions"] == {
            "ClusterName": f"${{aws_ecs_cluster.{cluster}.name}}",
            "ServiceName": f"${{aws_ecs_service.{service}.name}}",
        }
        (balancer,) = _resources(stack, "aws_lb")
        watched = json.dumps(alarms["alb-5xx-rate"]) + json.dumps(alarms["alb-p99-latency"])
        assert f"${{aws_lb.{balancer}.arn_suffix}}" in watched
        # AND the dashboard draws the service's CPU, memory and running tasks and the load balancer's requests
        drawn = _drawn(_dashboard(stack)[1])
        service_name = f"${{aws_ecs_service.{service}.name}}"
        assert {line[1] for line in drawn["AWS/ECS"] if service_name in line} == {"CPUUtilization", "MemoryUtilization"}
        assert [line[1] for line in drawn["ECS/ContainerInsights"] if service_name in line] == ["RunningTaskCount"]
        assert {line[3] for line in drawn["AWS/ApplicationELB"] if line[2] == "LoadBalancer"} == {
            f"${{aws_lb.{balancer}.arn_suffix}}"
        }


@pytest.mark.req("OPS-2")
@pytest.mark.parametrize("env", ENVS)
def test_each_regions_dashboard_draws_each_of_its_functions(synthesized, env):
    for role in REGIONAL:
        stack = synthesized[env].stack(role)
        drawn = _drawn(_dashboard(stack)[1])
        # GIVEN the region's Lambda functions WHEN its dashboard is read
        functions = {
            f"${{aws_lambda_function.{logical}.function_name}}" for logical in _resources(stack, "aws_lambda_function")
        }
        # THEN it draws errors, throttles and duration of every one of them
        assert len(functions) == (3 if role == "primary" else 2)
        for metric in ("Errors", "Throttles", "Duration"):
            assert {line[3] for line in drawn["AWS/Lambda"] if line[1] == metric} == functions, metric


@pytest.mark.req("OPS-3")
def test_prod_alarms_fire_earlier_than_dev_alarms(synthesized):
    # GIVEN the same alarm in dev and prod WHEN their thresholds are compared in the direction each fires
    looser = []
    for role in REGIONAL:
        dev, prod = (_alarms(synthesized[env].stack(role), env) for env in ("dev", "prod"))
        assert set(dev) == set(prod)
        for label, alarm in prod.items():
            below = alarm["comparison_operator"] == "LessThanThreshold"
            stricter = (
                alarm["threshold"] > dev[label]["threshold"] if below else alarm["threshold"] < dev[label]["threshold"]
            )
            if not stricter:
                looser.append(f"{role} {label}")
    # THEN prod's is stricter every time, and the config says so for every threshold, those of absent sources too
    assert looser == []
    assert load("prod").operations.alarms.looser_than(load("dev").operations.alarms) == []
    assert load("staging").operations.alarms.looser_than(load("dev").operations.alarms) == []


@pytest.mark.req("OPS-3")
@pytest.mark.parametrize("env", ENVS)
def test_each_alert_topic_has_the_configured_subscribers(synthesized, env):
    expected = sorted((s.protocol, s.endpoint) for s in load(env).operations.alert_subscriptions)
    for role in REGIONAL:
        stack = synthesized[env].stack(role)
        subscriptions = _resources(stack, "aws_sns_topic_subscription").values()
        assert sorted((s["protocol"], s["endpoint"]) for s in subscriptions) == expected
        assert {s["topic_arn"] for s in subscriptions} == {_topic_arn(stack)}


# OPS-4 ---------------------------------------------------------------------------------------------


@pytest.mark.req("OPS-4")
@pytest.mark.parametrize("env", ENVS)
def test_budget_alerts_at_this_environments_forecast_and_actual_percentages(synthesized, env):
    config = load(env)
    budget = synthesized[env].only("global", "aws_budgets_budget")
    assert budget["limit_amount"] == str(config.capacity.monthly_budget_usd) and budget["time_unit"] == "MONTHLY"
    alerts = config.operations.budget_alerts
    assert sorted((n["notification_type"], n["threshold"]) for n in budget["notification"]) == sorted(
        [("FORECASTED", p) for p in alerts.forecast_percent] + [("ACTUAL", p) for p in alerts.actual_percent]
    )
    assert len({arn for n in budget["notification"] for arn in n["subscriber_sns_topic_arns"]}) == 1
    # AND the primary's topic and its key let AWS Budgets publish for this account
    primary = synthesized[env].stack("primary")
    (topic_policy,) = [
        p for p in _resources(primary, "aws_sns_topic_policy").values() if p["arn"] == _topic_arn(primary)
    ]
    (publish,) = json.loads(topic_policy["policy"])["Statement"]
    assert "budgets.amazonaws.com" in publish["Principal"]["Service"] and publish["Action"] == "sns:Publish"
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": config.accounts.own}}
    (sns_key,) = [
        k for k in _resources(primary, "aws_kms_key").values() if k["description"].startswith(f"meridian-sns-{env}")
    ]
    statements = json.loads(sns_key["policy"])["Statement"]
    assert any("budgets.amazonaws.com" in s.get("Principal", {}).get("Service", []) for s in statements)


@pytest.mark.req("OPS-4")
def test_budget_alerts_differ_per_environment(synthesized):
    def thresholds(env):
        budget = synthesized[env].only("global", "aws_budgets_budget")
        return sorted((n["notification_type"], n["threshold"]) for n in budget["notification"])

    assert thresholds("prod") != thresholds("dev")
    assert len(thresholds("prod")) > len(thresholds("dev"))  # prod hears earlier, and more often


# OPS-5 ---------------------------------------------------------------------------------------------


def cost_hygiene_problems(stack_name: str, stack: dict) -> list[str]:
    """Buckets without an enabled lifecycle rule; repositories without a bounded image count."""
    problems = []
    covered = set()
    for lifecycle in _resources(stack, "aws_s3_bucket_lifecycle_configuration").values():
        if any(rule.get("status") == "Enabled" for rule in lifecycle["rule"]):
            covered.add(_referenced(lifecycle["bucket"], "aws_s3_bucket"))
    problems += [f"{stack_name} {b}: no lifecycle rule" for b in _resources(stack, "aws_s3_bucket") if b not in covered]
    bounded = set()
    for policy in _resources(stack, "aws_ecr_lifecycle_policy").values():
        rules = json.loads(policy["policy"])["rules"]
        if any(rule["selection"].get("countType") == "imageCountMoreThan" for rule in rules):
            bounded.add(_referenced(policy["repository"], "aws_ecr_repository"))
    problems += [
        f"{stack_name} {r}: unbounded images" for r in _resources(stack, "aws_ecr_repository") if r not in bounded
    ]
    return problems


@pytest.mark.req("OPS-5")
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_bucket_has_lifecycle_rules_and_every_repository_a_bounded_image_count(every_variant, variant):
    synthesized = every_variant[variant]
    problems = [p for name, stack in synthesized.stacks.items() for p in cost_hygiene_problems(name, stack)]
    assert problems == []
    buckets = sum(len(_resources(stack, "aws_s3_bucket")) for stack in synthesized.stacks.values())
    assert buckets >= 12  # state and its logs in two regions; documents, ALB and access logs, AWS Config per region


@pytest.mark.req("OPS-5")
def test_the_cost_walk_bites_on_a_bucket_without_lifecycle_and_a_repository_without_a_count(dev):
    stack = json.loads(json.dumps(dev.stack("primary")))
    lifecycle = next(iter(_resources(stack, "aws_s3_bucket_lifecycle_configuration").values()))
    for rule in lifecycle["rule"]:
        rule["status"] = "Disabled"
    stack["resource"]["aws_ecr_repository"] = {"images": {"name": "meridian-images-dev"}}
    assert len(cost_hygiene_problems("p", stack)) == 2


@pytest.mark.req("OPS-5")
def test_every_stack_role_is_walked(every_variant):
    assert {name.rsplit("-", 1)[1] for name in every_variant["dev"].stacks} == set(ROLES)
