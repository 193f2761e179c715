"""APP-4 / APP-5 / DC-4 under Terraform: the runtime plans with the deploy switch off and on.

Off is every shipped environment (the session's `planned`); on is every environment with
`service.deploy: true`, whose two regional stacks are planned and applied once for the session
(`planned_deployed_everywhere`; `planned_deployed` is its dev). The
ECS service, its autoscaling and its deployment alarms exist only with the switch on; applied, the
service runs in the private subnets with the app tier and scales on the blue target group.
"""

from __future__ import annotations

import pytest

from config import load

ENVS = ["dev", "staging", "prod"]
REGIONAL = ["primary", "secondary"]
# What each regional stack's runtime creates whatever the switch says (with the payment API's certificate
# and its stage's own web ACL, association and WAF logging, stacks/edge.py).
RUNTIME = {
    "aws_ecr_repository": 1,
    "aws_ecr_lifecycle_policy": 1,
    "aws_ecs_cluster": 1,
    "aws_ecs_task_definition": 2,
    "aws_lb": 1,
    "aws_lb_listener": 2,
    "aws_lb_listener_rule": 3,
    "aws_lb_target_group": 2,
    "aws_acm_certificate": 2,
    "aws_acm_certificate_validation": 2,
    "aws_wafv2_web_acl": 2,
    "aws_wafv2_web_acl_association": 2,
    "aws_wafv2_web_acl_logging_configuration": 2,
}
# What only the switch creates.
SERVICE = {"aws_ecs_service": 1, "aws_appautoscaling_target": 1, "aws_appautoscaling_policy": 3}
DEPLOYMENT_ALARM = "meridian-payment-service-"


def _deployment_alarms(plan) -> list[dict]:
    return [
        c.after
        for c in plan.created("aws_cloudwatch_metric_alarm")
        if c.after["alarm_name"].startswith(DEPLOYMENT_ALARM)
    ]


def _applied(stack, type_: str) -> list[dict]:
    return [r["values"] for r in stack.applied.state()["values"]["root_module"]["resources"] if r["type"] == type_]


@pytest.mark.req("APP-4")
@pytest.mark.req("DC-4")
@pytest.mark.parametrize("role", REGIONAL)
@pytest.mark.parametrize("env", ENVS)
def test_with_the_switch_off_the_runtime_plans_without_service_scaling_or_alarms(planned, env, role):
    # GIVEN a shipped environment (service.deploy: false) WHEN its regional stack is planned
    created = planned[env][role].plan.count_by_type()
    # THEN the image repository, cluster, task definitions, load balancer and WAF are there, the service is not
    assert {type_: created.get(type_, 0) for type_ in RUNTIME} == RUNTIME
    assert {type_: created.get(type_, 0) for type_ in SERVICE} == dict.fromkeys(SERVICE, 0)
    assert _deployment_alarms(planned[env][role].plan) == []


@pytest.mark.req("APP-4")
@pytest.mark.req("APP-5")
@pytest.mark.req("DC-4")
@pytest.mark.parametrize("role", REGIONAL)
@pytest.mark.parametrize("env", ENVS)
def test_with_the_switch_on_both_regional_stacks_validate_plan_and_apply_the_service(
    planned_deployed_everywhere, env, role
):
    # GIVEN an environment with service.deploy: true WHEN its regional stack is validated, planned and applied
    stack = planned_deployed_everywhere[env][role]
    assert (stack.validation["error_count"], stack.validation["warning_count"]) == (0, 0), stack.validation
    counts = stack.plan.counts()
    assert counts["update"] == counts["replace"] == counts["destroy"] == 0
    # THEN the runtime, the service, its three scaling policies and its two deployment alarms are created
    created = stack.plan.count_by_type()
    assert {type_: created.get(type_, 0) for type_ in {**RUNTIME, **SERVICE}} == {**RUNTIME, **SERVICE}
    assert len(_deployment_alarms(stack.plan)) == 2
    # AND a second plan after the apply changes nothing
    assert stack.applied.plan().is_empty()


@pytest.mark.req("APP-4")
@pytest.mark.parametrize("role", REGIONAL)
def test_the_service_rolls_back_keeps_half_healthy_and_gives_tasks_180_s(planned_deployed, role):
    service = planned_deployed[role].plan.only_created("aws_ecs_service").after
    assert service["launch_type"] == "FARGATE"
    assert service["deployment_circuit_breaker"] == [{"enable": True, "rollback": True}]
    assert (service["deployment_minimum_healthy_percent"], service["deployment_maximum_percent"]) == (50, 200)
    assert service["health_check_grace_period_seconds"] == 180
    # the deployment alarms (5xx, unhealthy targets) roll a bad deployment back too
    (alarms,) = service["alarms"]
    assert alarms["enable"] is True and alarms["rollback"] is True
    assert sorted(alarms["alarm_names"]) == sorted(
        a["alarm_name"] for a in _deployment_alarms(planned_deployed[role].plan)
    )


@pytest.mark.req("APP-4")
@pytest.mark.req("NET-5")
@pytest.mark.parametrize("role", REGIONAL)
def test_the_applied_service_runs_in_the_private_subnets_with_the_app_tier_and_no_public_address(
    planned_deployed, role
):
    stack = planned_deployed[role]
    (service,) = _applied(stack, "aws_ecs_service")
    (network,) = service["network_configuration"]
    private = {s["id"] for s in _applied(stack, "aws_subnet") if s["tags"]["Tier"] == "private"}
    (app_tier,) = [g["id"] for g in _applied(stack, "aws_security_group") if g["name"] == "meridian-app-dev"]
    assert len(private) == 3 and set(network["subnets"]) == private
    assert network["security_groups"] == [app_tier] and network["assign_public_ip"] is False
    # registered into the blue target group, the one production traffic goes to
    (blue,) = [g["arn"] for g in _applied(stack, "aws_lb_target_group") if g["name"] == "meridian-blue-dev"]
    assert [lb["target_group_arn"] for lb in service["load_balancer"]] == [blue]


@pytest.mark.req("APP-4")
@pytest.mark.parametrize("role", REGIONAL)
def test_the_service_waits_for_the_vpc_endpoints_and_the_database_instances(planned_deployed, role):
    # Terraform's own reading of the configuration: the service's explicit dependencies
    resources = planned_deployed[role].plan.raw["configuration"]["root_module"]["resources"]
    (service,) = [r for r in resources if r["type"] == "aws_ecs_service"]
    endpoints = {r["address"] for r in resources if r["type"] == "aws_vpc_endpoint"}
    instances = {r["address"] for r in resources if r["type"] == "aws_rds_cluster_instance"}
    assert len(endpoints) == 10 and instances
    assert set(service["depends_on"]) == endpoints | instances


@pytest.mark.req("APP-5")
@pytest.mark.parametrize("role", REGIONAL)
@pytest.mark.parametrize(("env", "tasks"), [("dev", (2, 10)), ("staging", (2, 10)), ("prod", (3, 20))])
def test_autoscaling_tracks_cpu_memory_and_requests_per_target_within_the_configured_capacity(
    planned_deployed_everywhere, env, tasks, role
):
    stack = planned_deployed_everywhere[env][role]
    capacity = load(env).capacity
    (target,) = _applied(stack, "aws_appautoscaling_target")
    assert (target["min_capacity"], target["max_capacity"]) == (capacity.app_min_tasks, capacity.app_max_tasks) == tasks
    tracked = {}
    for policy in _applied(stack, "aws_appautoscaling_policy"):
        (configuration,) = policy["target_tracking_scaling_policy_configuration"]
        (metric,) = configuration["predefined_metric_specification"]
        tracked[metric["predefined_metric_type"]] = (configuration["target_value"], metric["resource_label"])
    (alb,) = _applied(stack, "aws_lb")
    (blue,) = [g for g in _applied(stack, "aws_lb_target_group") if g["name"] == f"meridian-blue-{env}"]
    assert tracked["ECSServiceAverageMemoryUtilization"][0] == 75
    assert set(tracked) == {
        "ECSServiceAverageCPUUtilization",
        "ECSServiceAverageMemoryUtilization",
        "ALBRequestCountPerTarget",
    }
    # requests are counted on the target group the service serves
    assert tracked["ALBRequestCountPerTarget"][1] == f"{alb['arn_suffix']}/{blue['arn_suffix']}"


@pytest.mark.req("APP-4")
@pytest.mark.req("OPS-3")
@pytest.mark.parametrize("role", REGIONAL)
def test_deployment_alarms_watch_5xx_and_unhealthy_targets_of_blue_and_notify_the_alert_topic(planned_deployed, role):
    stack = planned_deployed[role]
    alarms = [a for a in _applied(stack, "aws_cloudwatch_metric_alarm") if a["alarm_name"].startswith(DEPLOYMENT_ALARM)]
    (alb,) = _applied(stack, "aws_lb")
    (blue,) = [g for g in _applied(stack, "aws_lb_target_group") if g["name"] == "meridian-blue-dev"]
    (topic,) = [t for t in _applied(stack, "aws_sns_topic") if "-alerts-" in t["name"]]
    assert sorted(a["metric_name"] for a in alarms) == ["HTTPCode_Target_5XX_Count", "UnHealthyHostCount"]
    for alarm in alarms:
        assert alarm["dimensions"] == {"LoadBalancer": alb["arn_suffix"], "TargetGroup": blue["arn_suffix"]}
        assert alarm["alarm_actions"] == [topic["arn"]]
