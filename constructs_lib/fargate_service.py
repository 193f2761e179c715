"""The payment service on ECS Fargate behind the load balancer (APP-4, APP-5, OPS-3).

Tasks run in the private subnets with the app tier's security group and no public address, and
register into the load balancer's blue target group. A deployment replaces tasks while at least
half of the desired count stays healthy (up to twice the count run during the change), new tasks
get 180 s before load-balancer health checks count, and a deployment rolls back by itself when the
circuit breaker sees tasks fail to start or when a deployment alarm fires: target 5xx answers or
unhealthy targets. The alarms also notify the operators' topic. Autoscaling owns the desired
count after creation.

The stack creates this construct only with `service.deploy` on (config), and passes what the
tasks need from their first minute in `depends_on`: the VPC endpoints (ECR, logs, secrets) and
the database instances.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cdktf import ITerraformDependable, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.ecs_service import EcsService, EcsServiceLoadBalancer
from constructs import Construct

from constructs_lib.alerts import AlertTopic
from constructs_lib.ecs_cluster import FargateCluster
from constructs_lib.fargate_task import FargateTask
from constructs_lib.load_balancer import PublicLoadBalancer, SecurityGroupRef
from constructs_lib.naming import Naming
from constructs_lib.service_autoscaling import ServiceAutoscaling, ServiceAutoscalingProps


@dataclass(frozen=True)
class DeploymentAlarm:
    """An ALB metric of the blue target group that, above its threshold, rolls a deployment back."""

    label: str
    metric: str
    statistic: str
    threshold: int
    description: str


DEPLOYMENT_ALARMS = (
    DeploymentAlarm(
        "5xx",
        "HTTPCode_Target_5XX_Count",
        "Sum",
        10,
        "the payment service answers 5xx to more than 10 requests a minute",
    ),
    DeploymentAlarm(
        "unhealthy-targets", "UnHealthyHostCount", "Maximum", 0, "a payment service task fails the ALB health check"
    ),
)


@dataclass(frozen=True)
class FargateServiceProps:
    naming: Naming
    cluster: FargateCluster
    task: FargateTask  # must have a port: the load balancer sends it traffic
    subnet_ids: Sequence[str]  # the private (application) subnets
    security_group: SecurityGroupRef  # the app tier
    load_balancer: PublicLoadBalancer
    alerts: AlertTopic
    min_tasks: int
    max_tasks: int
    depends_on: Sequence[ITerraformDependable] = field(default_factory=tuple)  # VPC endpoints, database instances
    minimum_healthy_percent: int = 50
    maximum_percent: int = 200
    health_check_grace_seconds: int = 180
    alarm_periods: int = 3  # minutes above threshold before an alarm fires (and rolls back)

    def __post_init__(self) -> None:
        if self.task.port is None:
            raise ValueError(f"service {self.task.family}: its task has no port for the load balancer")
        if not self.depends_on:
            raise ValueError(
                f"service {self.task.family}: depends_on is empty; allowed: the VPC endpoints and database "
                "instances its tasks need from their first minute"
            )


class FargateService(Construct):
    def __init__(self, scope: Construct, id_: str, props: FargateServiceProps) -> None:
        super().__init__(scope, id_)
        alb = props.load_balancer
        self._cluster_name = props.cluster.name
        port = props.task.port
        assert port is not None  # FargateServiceProps refuses a task without one
        self._alarms = [self._alarm(props, alarm) for alarm in DEPLOYMENT_ALARMS]
        self._service = EcsService(
            self,
            "service",
            name=props.task.family,
            cluster=props.cluster.arn,
            task_definition=props.task.arn,
            desired_count=props.min_tasks,
            launch_type="FARGATE",
            platform_version="LATEST",
            network_configuration={
                "subnets": list(props.subnet_ids),
                "security_groups": [props.security_group.id],
                "assign_public_ip": False,
            },
            load_balancer=[
                EcsServiceLoadBalancer(
                    target_group_arn=alb.blue.arn,
                    container_name=props.task.container_name,
                    container_port=port,
                )
            ],
            deployment_controller={"type": "ECS"},
            deployment_minimum_healthy_percent=props.minimum_healthy_percent,
            deployment_maximum_percent=props.maximum_percent,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            alarms={"alarm_names": [alarm.alarm_name for alarm in self._alarms], "enable": True, "rollback": True},
            health_check_grace_period_seconds=props.health_check_grace_seconds,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            depends_on=list(props.depends_on),
            lifecycle=TerraformResourceLifecycle(ignore_changes=["desired_count"]),  # autoscaling owns it
        )
        self.autoscaling = ServiceAutoscaling(
            self,
            "autoscaling",
            ServiceAutoscalingProps(
                cluster_name=props.cluster.name,
                service_name=self._service.name,
                min_tasks=props.min_tasks,
                max_tasks=props.max_tasks,
                request_count_label=f"{alb.arn_suffix}/{alb.blue.arn_suffix}",
            ),
        )

    @property
    def name(self) -> str:
        return self._service.name

    @property
    def service_name(self) -> str:
        """The ServiceName dimension of the ECS metrics."""
        return self._service.name

    @property
    def cluster_name(self) -> str:
        """The ClusterName dimension of the ECS metrics."""
        return self._cluster_name

    @property
    def alarm_arns(self) -> list[str]:
        return [alarm.arn for alarm in self._alarms]

    def _alarm(self, props: FargateServiceProps, alarm: DeploymentAlarm) -> CloudwatchMetricAlarm:
        alb = props.load_balancer
        return CloudwatchMetricAlarm(
            self,
            f"alarm-{alarm.label}",
            alarm_name=props.naming.name("payment-service", alarm.label),
            alarm_description=f"Deployment alarm: {alarm.description}; ECS rolls the deployment back",
            namespace="AWS/ApplicationELB",
            metric_name=alarm.metric,
            dimensions={"LoadBalancer": alb.arn_suffix, "TargetGroup": alb.blue.arn_suffix},
            statistic=alarm.statistic,
            period=60,
            evaluation_periods=props.alarm_periods,
            threshold=alarm.threshold,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",  # no traffic is not an outage
            alarm_actions=[props.alerts.arn],
            ok_actions=[props.alerts.arn],
        )
