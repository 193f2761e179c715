"""The region's ECS cluster for Fargate tasks, with Container Insights (APP-3, OPS-2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from constructs import Construct


@dataclass(frozen=True)
class FargateClusterProps:
    name: str
    # "enhanced" adds per-container metrics to what "enabled" gives; both feed the dashboard and alarms.
    container_insights: Literal["enabled", "enhanced"] = "enhanced"


class FargateCluster(Construct):
    def __init__(self, scope: Construct, id_: str, props: FargateClusterProps) -> None:
        super().__init__(scope, id_)
        self._cluster = EcsCluster(
            self,
            "cluster",
            name=props.name,
            setting=[EcsClusterSetting(name="containerInsights", value=props.container_insights)],
        )

    @property
    def name(self) -> str:
        return self._cluster.name

    @property
    def arn(self) -> str:
        return self._cluster.arn
