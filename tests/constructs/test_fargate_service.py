"""QA-1 / APP-3 / APP-4 / APP-5: the cluster, the ECS service behind its deploy switch, its alarms and autoscaling."""

from __future__ import annotations

import pytest

from constructs_lib.service_autoscaling import ServiceAutoscalingProps
from tests.support.runtime import address


@pytest.mark.req("APP-3")
@pytest.mark.req("QA-1")
def test_cluster_has_container_insights(runtime):
    cluster = runtime.only("aws_ecs_cluster")
    assert cluster["setting"] == [{"name": "containerInsights", "value": "enhanced"}]


@pytest.mark.req("APP-4")
def test_service_runs_privately_behind_the_blue_target_group(runtime):
    service = runtime.only("aws_ecs_service")
    assert (service["launch_type"], service["platform_version"]) == ("FARGATE", "LATEST")
    network = service["network_configuration"]
    assert network["subnets"] == [f"${{aws_subnet.private{az}.id}}" for az in (1, 2, 3)]
    assert network["security_groups"] == ["${aws_security_group.app-tier.id}"]
    assert network["assign_public_ip"] is False
    blue = f"${{{address(runtime, 'aws_lb_target_group', 'alb/blue')}.arn}}"
    assert service["load_balancer"] == [
        {"target_group_arn": blue, "container_name": "payment-service", "container_port": 8080}
    ]
    definition = address(runtime, "aws_ecs_task_definition", "payment/service")
    assert service["task_definition"] == f"${{{definition}.arn}}"


@pytest.mark.req("APP-4")
def test_deployments_keep_half_healthy_give_180_s_grace_and_roll_back(runtime):
    service = runtime.only("aws_ecs_service")
    assert service["deployment_minimum_healthy_percent"] == 50
    assert service["deployment_maximum_percent"] == 200
    assert service["health_check_grace_period_seconds"] == 180
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert service["deployment_controller"] == {"type": "ECS"}


@pytest.mark.req("APP-4")
@pytest.mark.req("OPS-3")
def test_deployment_alarms_on_5xx_and_unhealthy_targets_roll_back_and_notify(runtime):
    service = runtime.only("aws_ecs_service")
    alarms = runtime.resources("aws_cloudwatch_metric_alarm")
    assert service["alarms"]["enable"] is True and service["alarms"]["rollback"] is True
    assert sorted(service["alarms"]["alarm_names"]) == sorted(
        f"${{aws_cloudwatch_metric_alarm.{logical}.alarm_name}}" for logical in alarms
    )
    by_metric = {body["metric_name"]: body for body in alarms.values()}
    assert set(by_metric) == {"HTTPCode_Target_5XX_Count", "UnHealthyHostCount"}
    alb = f"${{{address(runtime, 'aws_lb', 'alb')}.arn_suffix}}"
    blue = f"${{{address(runtime, 'aws_lb_target_group', 'alb/blue')}.arn_suffix}}"
    topic = f"${{{address(runtime, 'aws_sns_topic', 'alerts')}.arn}}"
    for alarm in by_metric.values():
        assert alarm["namespace"] == "AWS/ApplicationELB"
        assert alarm["dimensions"] == {"LoadBalancer": alb, "TargetGroup": blue}
        assert alarm["comparison_operator"] == "GreaterThanThreshold"
        assert alarm["alarm_actions"] == [topic]
    assert by_metric["UnHealthyHostCount"]["threshold"] == 0


@pytest.mark.req("APP-4")
def test_service_starts_only_after_what_its_tasks_need(runtime):
    assert runtime.only("aws_ecs_service")["depends_on"] == [
        "aws_efs_file_system.efs",
        "aws_efs_access_point.access-point",
    ]


@pytest.mark.req("APP-4")
@pytest.mark.req("OPS-3")
def test_without_the_deploy_switch_no_service_alarm_or_scaling_exists(runtime_without_service):
    for type_ in ("aws_ecs_service", "aws_cloudwatch_metric_alarm", "aws_appautoscaling_target"):
        assert runtime_without_service.resources(type_) == {}, type_
    # the task definitions exist either way: the migration runs before the first deploy
    assert len(runtime_without_service.resources("aws_ecs_task_definition")) == 2


@pytest.mark.req("APP-5")
def test_autoscaling_tracks_cpu_memory_at_75_and_requests_per_target(runtime):
    target = runtime.only("aws_appautoscaling_target")
    assert (target["min_capacity"], target["max_capacity"]) == (3, 20)
    service = address(runtime, "aws_ecs_service", "service")
    cluster = address(runtime, "aws_ecs_cluster", "cluster")
    assert target["resource_id"] == f"service/${{{cluster}.name}}/${{{service}.name}}"
    assert target["scalable_dimension"] == "ecs:service:DesiredCount"
    policies = {
        p["target_tracking_scaling_policy_configuration"]["predefined_metric_specification"][
            "predefined_metric_type"
        ]: p
        for p in runtime.resources("aws_appautoscaling_policy").values()
    }
    assert set(policies) == {
        "ECSServiceAverageCPUUtilization",
        "ECSServiceAverageMemoryUtilization",
        "ALBRequestCountPerTarget",
    }
    memory = policies["ECSServiceAverageMemoryUtilization"]["target_tracking_scaling_policy_configuration"]
    assert memory["target_value"] == 75
    requests = policies["ALBRequestCountPerTarget"]["target_tracking_scaling_policy_configuration"]
    alb = address(runtime, "aws_lb", "alb")
    blue = address(runtime, "aws_lb_target_group", "alb/blue")
    assert requests["predefined_metric_specification"]["resource_label"] == (
        f"${{{alb}.arn_suffix}}/${{{blue}.arn_suffix}}"
    )
    assert all(p["policy_type"] == "TargetTrackingScaling" for p in policies.values())
    # autoscaling owns the desired count once the service exists
    assert runtime.only("aws_ecs_service")["lifecycle"] == {"ignore_changes": ["desired_count"]}


@pytest.mark.req("APP-5")
@pytest.mark.parametrize(
    "bounds,message",
    [((0, 10), "allowed: 1 <= min <= max"), ((5, 4), "allowed: 1 <= min <= max")],
)
def test_autoscaling_refuses_impossible_capacity(bounds, message):
    with pytest.raises(ValueError, match=message):
        ServiceAutoscalingProps("cluster", "service", bounds[0], bounds[1], "alb/tg")
