"""Typed CloudWatch metric sources: what the dashboard draws and the alarms watch (OPS-2, OPS-3).

A source names one thing that emits metrics (a database member, a cache, a stream, a function, the
load balancer, the ECS service) by the identifiers CloudWatch files its metrics under, and offers
its metrics as `Metric` values with AWS's own namespace, metric name and dimensions:

    database = DatabaseMetrics(cluster.identifier, replicates_from=primary_region)   # a secondary member
    database.cpu.dashboard_entry()        # ["AWS/RDS", "CPUUtilization", "DBClusterIdentifier", ...]
    database.graphs()                     # the dashboard's graphs of this source, in order
    database.global_replication_lag       # None where the member leads the global database

Only metric names AWS publishes are used; Aurora has no FreeStorageSpace (its cluster volume grows
by itself), so storage is watched through FreeLocalStorage, the instances' own disk for temporary
tables and logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: Mapping[str, str]
    statistic: str  # Average, Sum, Maximum, Minimum or a percentile like p99
    label: str

    @property
    def is_percentile(self) -> bool:
        return self.statistic.startswith("p")

    def dashboard_entry(self) -> list:
        """One line of a dashboard graph: namespace, name, dimension pairs, then how to draw it."""
        pairs = [part for name, value in self.dimensions.items() for part in (name, value)]
        return [self.namespace, self.name, *pairs, {"stat": self.statistic, "label": self.label}]


@dataclass(frozen=True)
class Graph:
    title: str
    metrics: tuple[Metric, ...]


class MetricSource(Protocol):
    """What the dashboard needs of every source: a title, its row (`order`) and its graphs."""

    @property
    def title(self) -> str: ...

    @property
    def order(self) -> int: ...  # the dashboard's row order: ECS, ALB, Aurora, Redis, Lambda, Kinesis

    def graphs(self) -> tuple[Graph, ...]: ...


@dataclass(frozen=True)
class ServiceMetrics:
    """The payment service on ECS (only while it is deployed)."""

    cluster_name: str
    service_name: str
    title: str = "ECS payment service"
    order: int = 0

    @property
    def _dimensions(self) -> dict[str, str]:
        return {"ClusterName": self.cluster_name, "ServiceName": self.service_name}

    @property
    def cpu(self) -> Metric:
        return Metric("AWS/ECS", "CPUUtilization", self._dimensions, "Average", "CPU %")

    @property
    def memory(self) -> Metric:
        return Metric("AWS/ECS", "MemoryUtilization", self._dimensions, "Average", "memory %")

    @property
    def running_tasks(self) -> Metric:
        # Container Insights (on for the cluster) publishes the task count per service
        return Metric("ECS/ContainerInsights", "RunningTaskCount", self._dimensions, "Average", "running tasks")

    def graphs(self) -> tuple[Graph, ...]:
        return (
            Graph("ECS CPU and memory (%)", (self.cpu, self.memory)),
            Graph("ECS running tasks", (self.running_tasks,)),
        )


@dataclass(frozen=True)
class LoadBalancerMetrics:
    """The public ALB: `arn_suffix` of the load balancer and of each target group (the CloudWatch dimensions)."""

    arn_suffix: str
    target_group_arn_suffixes: tuple[str, ...]
    title: str = "Application load balancer"
    order: int = 1

    def _of(self, name: str, statistic: str, label: str) -> Metric:
        return Metric("AWS/ApplicationELB", name, {"LoadBalancer": self.arn_suffix}, statistic, label)

    @property
    def requests(self) -> Metric:
        return self._of("RequestCount", "Sum", "requests")

    @property
    def elb_5xx(self) -> Metric:
        return self._of("HTTPCode_ELB_5XX_Count", "Sum", "5xx from the load balancer")

    @property
    def target_5xx(self) -> Metric:
        return self._of("HTTPCode_Target_5XX_Count", "Sum", "5xx from the targets")

    @property
    def p99_latency(self) -> Metric:
        return self._of("TargetResponseTime", "p99", "target p99 (s)")

    def target_group_p99(self, target_group: str) -> Metric:
        dimensions = {"LoadBalancer": self.arn_suffix, "TargetGroup": target_group}
        return Metric("AWS/ApplicationELB", "TargetResponseTime", dimensions, "p99", f"p99 {target_group} (s)")

    def graphs(self) -> tuple[Graph, ...]:
        per_group = tuple(self.target_group_p99(group) for group in self.target_group_arn_suffixes)
        return (
            Graph("ALB requests", (self.requests,)),
            Graph("ALB 5xx answers", (self.elb_5xx, self.target_5xx)),
            Graph("ALB target response time p99 (s)", (self.p99_latency, *per_group)),
        )


@dataclass(frozen=True)
class DatabaseMetrics:
    """One Aurora member; `replicates_from` (the primary region) only for a secondary member of the global database."""

    cluster_identifier: str
    replicates_from: str | None = None
    title: str = "Aurora PostgreSQL"
    order: int = 2

    def _of(self, name: str, statistic: str, label: str, **extra: str) -> Metric:
        return Metric("AWS/RDS", name, {"DBClusterIdentifier": self.cluster_identifier, **extra}, statistic, label)

    @property
    def cpu(self) -> Metric:
        return self._of("CPUUtilization", "Maximum", "CPU % (busiest instance)")

    @property
    def connections(self) -> Metric:
        return self._of("DatabaseConnections", "Sum", "connections")

    @property
    def replica_lag(self) -> Metric:
        return self._of("AuroraReplicaLag", "Maximum", "replica lag (ms)", Role="READER")

    @property
    def freeable_memory(self) -> Metric:
        return self._of("FreeableMemory", "Minimum", "freeable memory (bytes, least of the instances)")

    @property
    def free_local_storage(self) -> Metric:
        return self._of("FreeLocalStorage", "Minimum", "free local storage (bytes, least of the instances)")

    @property
    def global_replication_lag(self) -> Metric | None:
        """Published in the secondary region only, filed under the region it replicates from."""
        if self.replicates_from is None:
            return None
        return Metric(
            "AWS/RDS",
            "AuroraGlobalDBReplicationLag",
            {"SourceRegion": self.replicates_from},
            "Maximum",
            f"global replication lag behind {self.replicates_from} (ms)",
        )

    def graphs(self) -> tuple[Graph, ...]:
        lags = (self.replica_lag,) + ((self.global_replication_lag,) if self.global_replication_lag else ())
        return (
            Graph("Aurora CPU (%)", (self.cpu,)),
            Graph("Aurora connections", (self.connections,)),
            Graph("Aurora replication lag (ms)", lags),
            Graph("Aurora free memory and local storage (bytes)", (self.freeable_memory, self.free_local_storage)),
        )


@dataclass(frozen=True)
class CacheMetrics:
    """Redis: one metric per node, by the member cluster IDs of the replication group (`<group>-001`, ...)."""

    member_cluster_ids: tuple[str, ...]
    title: str = "ElastiCache Redis"
    order: int = 3

    def per_node(self, name: str, statistic: str, label: str) -> tuple[Metric, ...]:
        return tuple(
            Metric("AWS/ElastiCache", name, {"CacheClusterId": node}, statistic, f"{label} {node}")
            for node in self.member_cluster_ids
        )

    @property
    def cpu(self) -> tuple[Metric, ...]:
        return self.per_node("EngineCPUUtilization", "Maximum", "engine CPU %")

    @property
    def memory(self) -> tuple[Metric, ...]:
        return self.per_node("DatabaseMemoryUsagePercentage", "Maximum", "memory %")

    def graphs(self) -> tuple[Graph, ...]:
        return (
            Graph("Redis engine CPU (%)", self.cpu),
            Graph("Redis memory used (% of maxmemory)", self.memory),
            Graph("Redis evictions", self.per_node("Evictions", "Sum", "evictions")),
            Graph("Redis replication lag (s)", self.per_node("ReplicationLag", "Maximum", "lag")),
        )


@dataclass(frozen=True)
class FunctionMetrics:
    """One Lambda function."""

    function_name: str
    label: str  # what the function does, for titles: "rotation", "notifier"
    title: str = "Lambda"
    order: int = 4

    def _of(self, name: str, statistic: str, label: str) -> Metric:
        return Metric("AWS/Lambda", name, {"FunctionName": self.function_name}, statistic, f"{self.label} {label}")

    @property
    def errors(self) -> Metric:
        return self._of("Errors", "Sum", "errors")

    @property
    def throttles(self) -> Metric:
        return self._of("Throttles", "Sum", "throttles")

    @property
    def duration(self) -> Metric:
        return self._of("Duration", "p99", "duration p99 (ms)")

    def graphs(self) -> tuple[Graph, ...]:
        return (
            Graph(f"Lambda {self.label}: errors and throttles", (self.errors, self.throttles)),
            Graph(f"Lambda {self.label}: duration p99 (ms)", (self.duration,)),
        )


@dataclass(frozen=True)
class StreamMetrics:
    """The Kinesis payment event stream."""

    stream_name: str
    title: str = "Kinesis payment events"
    order: int = 5

    def _of(self, name: str, statistic: str, label: str) -> Metric:
        return Metric("AWS/Kinesis", name, {"StreamName": self.stream_name}, statistic, label)

    @property
    def iterator_age(self) -> Metric:
        return self._of("GetRecords.IteratorAgeMilliseconds", "Maximum", "oldest unread event (ms)")

    def graphs(self) -> tuple[Graph, ...]:
        throttles = (
            self._of("WriteProvisionedThroughputExceeded", "Sum", "throttled writes"),
            self._of("ReadProvisionedThroughputExceeded", "Sum", "throttled reads"),
        )
        return (Graph("Kinesis iterator age (ms)", (self.iterator_age,)), Graph("Kinesis throttles", throttles))
