"""Target-tracking autoscaling of an ECS service on CPU, memory and ALB requests per target (APP-5).

Each policy scales out when its metric runs above target and in when all of them allow it;
capacity stays between the configured minimum and maximum (prod 3..20, otherwise 2..10).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from constructs import Construct


@dataclass(frozen=True)
class ServiceAutoscalingProps:
    cluster_name: str
    service_name: str
    min_tasks: int
    max_tasks: int
    request_count_label: str  # "<alb arn_suffix>/<target group arn_suffix>": the target group the service serves
    cpu_percent: int = 60
    memory_percent: int = 75
    requests_per_target: int = 500  # per task per minute; the service's measured throughput leaves headroom
    scale_out_cooldown_seconds: int = 60
    scale_in_cooldown_seconds: int = 300  # slower in than out: a payment spike often comes back

    def __post_init__(self) -> None:
        if not 1 <= self.min_tasks <= self.max_tasks:
            raise ValueError(f"autoscaling: {self.min_tasks}..{self.max_tasks} tasks; allowed: 1 <= min <= max")
        for name, percent in (("cpu_percent", self.cpu_percent), ("memory_percent", self.memory_percent)):
            if not 10 <= percent <= 90:
                raise ValueError(f"autoscaling: {name} {percent}; allowed: 10 to 90")


class ServiceAutoscaling(Construct):
    def __init__(self, scope: Construct, id_: str, props: ServiceAutoscalingProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        self._target = AppautoscalingTarget(
            self,
            "target",
            service_namespace="ecs",
            resource_id=f"service/{props.cluster_name}/{props.service_name}",
            scalable_dimension="ecs:service:DesiredCount",
            min_capacity=props.min_tasks,
            max_capacity=props.max_tasks,
        )
        self._track("cpu", "ECSServiceAverageCPUUtilization", props.cpu_percent)
        self._track("memory", "ECSServiceAverageMemoryUtilization", props.memory_percent)
        self._track("requests", "ALBRequestCountPerTarget", props.requests_per_target, props.request_count_label)

    def _track(self, label: str, metric: str, target: int, resource_label: str | None = None) -> None:
        props = self._props
        AppautoscalingPolicy(
            self,
            label,
            name=f"{props.service_name}-{label}",
            policy_type="TargetTrackingScaling",
            service_namespace=self._target.service_namespace,
            resource_id=self._target.resource_id,
            scalable_dimension=self._target.scalable_dimension,
            target_tracking_scaling_policy_configuration=AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                target_value=target,
                predefined_metric_specification={
                    "predefined_metric_type": metric,
                    "resource_label": resource_label,
                },
                scale_out_cooldown=props.scale_out_cooldown_seconds,
                scale_in_cooldown=props.scale_in_cooldown_seconds,
            ),
        )
