"""What the operators of one region see and hear: its dashboard, its alarms, who is subscribed (OPS-2, OPS-3, DC-10).

The regional stack builds `Operations` once and hands it each thing worth watching as it is built:
`watch_stores` (the payment stream and Redis), `watch_database` (this region's Aurora member; the
secondary's also for its lag behind the primary region), `watch_functions` (the region's Lambda
functions) and `watch_runtime` (the ECS service and its load balancer, once deployed). Each becomes a row of the dashboard and
the alarms of its kind; what a region does not hand over has neither. Alarms go to the region's
alert topic, whose subscribers come from the environment's `operations.alert_subscriptions`.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.alarms import AlarmThresholds, RegionalAlarms, RegionalAlarmsProps
from constructs_lib.aurora import AuroraCluster
from constructs_lib.dashboard import RegionalDashboard, RegionalDashboardProps
from constructs_lib.metrics import (
    CacheMetrics,
    DatabaseMetrics,
    FunctionMetrics,
    LoadBalancerMetrics,
    MetricSource,
    ServiceMetrics,
    StreamMetrics,
)
from stacks.data_tier import DataTier
from stacks.functions import Functions
from stacks.network_stores import NetworkStores
from stacks.region import RegionBasics
from stacks.runtime import Runtime


class Operations(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        basics: RegionBasics,
    ) -> None:
        super().__init__(scope, id_)
        config, naming, region, alerts = basics.config, basics.naming, basics.region, basics.alerts
        self.region = region
        for subscriber in config.operations.alert_subscriptions:
            alerts.subscribe(subscriber.protocol, subscriber.endpoint)
        # Dashboard names are account-wide (not regional): the region keeps the two apart.
        self.dashboard = RegionalDashboard(
            self, "dashboard", RegionalDashboardProps(name=naming.name("operations", region), region=region)
        )
        self.alarms = RegionalAlarms(
            self,
            "alarms",
            RegionalAlarmsProps(
                naming=naming,
                alerts=alerts,
                thresholds=AlarmThresholds(**config.operations.alarms.model_dump()),
            ),
        )

    def watch(self, source: MetricSource) -> None:
        """A row of the dashboard and the alarms of its kind."""
        self.dashboard.add(source)
        self.alarms.watch(source)

    def watch_stores(self, data: DataTier, stores: NetworkStores) -> None:
        self.watch(StreamMetrics(stream_name=data.stream.name))
        self.watch(CacheMetrics(member_cluster_ids=stores.cache.member_cluster_ids))

    def watch_functions(self, functions: Functions) -> None:
        """Errors, throttles and duration of each function the region runs (rotation only where the secrets are)."""
        for label, function in (
            ("rotation", functions.rotation),
            ("notifier", functions.notifier),
            ("stream-processor", functions.stream_processor),
        ):
            if function is not None:
                self.watch(FunctionMetrics(function_name=function.function_name, label=label))

    def watch_runtime(self, runtime: Runtime) -> None:
        """The ECS service and its load balancer, only while the service is deployed: before that the load
        balancer has no targets and answers every health probe with 503, which would page people for nothing."""
        if runtime.service is None:
            return
        balancer = runtime.load_balancer
        self.watch(
            LoadBalancerMetrics(
                arn_suffix=balancer.arn_suffix,
                target_group_arn_suffixes=(balancer.blue.arn_suffix, balancer.green.arn_suffix),
            )
        )
        self.watch(ServiceMetrics(cluster_name=runtime.service.cluster_name, service_name=runtime.service.service_name))

    def watch_database(self, member: AuroraCluster, replicates_from: str | None = None) -> None:
        """This region's Aurora member; `replicates_from` (the primary region) for a secondary member."""
        self.watch(DatabaseMetrics(cluster_identifier=member.identifier, replicates_from=replicates_from))

    def outputs(self) -> dict[str, tuple[str, str]]:
        """Name -> (value, description) for the stack's outputs (DC-10)."""
        return {
            "dashboard_name": (self.dashboard.name, f"CloudWatch dashboard of {self.region}"),
            "dashboard_url": (self.dashboard.url, f"Console link to the CloudWatch dashboard of {self.region}"),
        }
