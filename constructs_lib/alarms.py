"""CloudWatch alarms of one region that reach people through the region's alert topic (OPS-3).

How to use:

    alarms = RegionalAlarms(self, "alarms", RegionalAlarmsProps(naming, alerts, AlarmThresholds(...)))
    alarms.watch(DatabaseMetrics(cluster.identifier))   # Aurora CPU, free local storage, replica lag
    alarms.watch(ServiceMetrics(cluster, service))      # only while the service is deployed
    alarms.names                                        # for outputs and tests

What each source is watched for (thresholds from config, stricter in prod): ALB 5xx rate and target
p99; ECS CPU and memory; Aurora CPU, free local storage, replica lag and, in the secondary region,
global replication lag; Redis engine CPU and memory of the busiest node; Lambda errors and
throttles; Kinesis iterator age. A source that is never watched has no alarm. Every alarm notifies
the topic when it fires and when it clears, and its description says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from constructs import Construct

from constructs_lib.alerts import AlertTopic
from constructs_lib.metrics import (
    CacheMetrics,
    DatabaseMetrics,
    FunctionMetrics,
    LoadBalancerMetrics,
    Metric,
    MetricSource,
    ServiceMetrics,
    StreamMetrics,
)
from constructs_lib.naming import Naming

MIB = 1024 * 1024


@dataclass(frozen=True)
class AlarmThresholds:
    """When each alarm fires; the stack fills these from the environment's `operations.alarms`."""

    alb_5xx_percent: float
    alb_p99_latency_ms: int
    ecs_cpu_percent: int
    ecs_memory_percent: int
    db_cpu_percent: int
    db_free_local_storage_mib: int
    db_replica_lag_ms: int
    db_global_replication_lag_ms: int
    cache_cpu_percent: int
    cache_memory_percent: int
    lambda_errors: int
    lambda_throttles: int
    stream_iterator_age_ms: int


@dataclass(frozen=True)
class AlarmRule:
    """One alarm: a metric, or an expression over metrics (m0, m1, ...), against a threshold."""

    label: str  # part of the alarm's name: db-cpu, lambda-rotation-errors
    metrics: tuple[Metric, ...]
    threshold: float
    action: str  # what the alarm means and what to do: the alarm's description
    expression: str | None = None  # metric math over m0..mN; None: the one metric itself
    below: bool = False  # fires when the value falls below the threshold (free storage)
    period: int = 60
    evaluation_periods: int = 5
    datapoints_to_alarm: int = 3  # 3 of the last 5 minutes: a blip does not page anyone

    def __post_init__(self) -> None:
        if self.expression is None and len(self.metrics) != 1:
            raise ValueError(f"alarm {self.label}: {len(self.metrics)} metrics need an expression; allowed: one")


@dataclass(frozen=True)
class RegionalAlarmsProps:
    naming: Naming
    alerts: AlertTopic  # the region's topic; it admits CloudWatch as a publisher
    thresholds: AlarmThresholds


class RegionalAlarms(Construct):
    def __init__(self, scope: Construct, id_: str, props: RegionalAlarmsProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        self._alarms: dict[str, CloudwatchMetricAlarm] = {}

    @property
    def names(self) -> list[str]:
        return [alarm.alarm_name for alarm in self._alarms.values()]

    def watch(self, source: MetricSource) -> None:
        for rule in alarm_rules(source, self._props.thresholds):
            if rule.label in self._alarms:
                raise ValueError(f"alarm {rule.label} is watched twice; allowed: each source once")
            self._alarms[rule.label] = self._alarm(rule)

    def _alarm(self, rule: AlarmRule) -> CloudwatchMetricAlarm:
        topic = [self._props.alerts.arn]
        # one metric is named directly; several go into metric math (metric_query)
        single = rule.metrics[0] if rule.expression is None else None
        percentile = single is not None and single.is_percentile
        return CloudwatchMetricAlarm(
            self,
            rule.label,
            alarm_name=self._props.naming.name("alarm", rule.label),
            alarm_description=rule.action,
            comparison_operator="LessThanThreshold" if rule.below else "GreaterThanThreshold",
            threshold=rule.threshold,
            evaluation_periods=rule.evaluation_periods,
            datapoints_to_alarm=rule.datapoints_to_alarm,
            treat_missing_data="notBreaching",  # no traffic, no reader or no replica is not an outage
            actions_enabled=True,
            alarm_actions=topic,
            ok_actions=topic,  # the people paged also hear that it cleared
            namespace=single.namespace if single else None,
            metric_name=single.name if single else None,
            dimensions=dict(single.dimensions) if single else None,
            period=rule.period if single else None,
            statistic=single.statistic if single and not percentile else None,
            extended_statistic=single.statistic if single and percentile else None,
            metric_query=None if single else _queries(rule),
        )


def _queries(rule: AlarmRule) -> list[CloudwatchMetricAlarmMetricQuery]:
    inputs = [
        CloudwatchMetricAlarmMetricQuery(
            id=f"m{index}",
            return_data=False,
            metric=CloudwatchMetricAlarmMetricQueryMetric(
                namespace=metric.namespace,
                metric_name=metric.name,
                dimensions=dict(metric.dimensions),
                stat=metric.statistic,
                period=rule.period,
            ),
        )
        for index, metric in enumerate(rule.metrics)
    ]
    return [
        *inputs,
        CloudwatchMetricAlarmMetricQuery(id="e", expression=rule.expression, label=rule.label, return_data=True),
    ]


def _busiest(metrics: tuple[Metric, ...]) -> str:
    """Metric math: the highest of the nodes' values at each minute."""
    return f"MAX([{', '.join(f'm{index}' for index in range(len(metrics)))}])"


def alarm_rules(source: MetricSource, t: AlarmThresholds) -> list[AlarmRule]:
    """What each kind of source is watched for."""
    match source:
        case LoadBalancerMetrics():
            return [
                AlarmRule(
                    "alb-5xx-rate",
                    (source.requests, source.elb_5xx, source.target_5xx),
                    t.alb_5xx_percent,
                    f"More than {t.alb_5xx_percent}% of requests answered 5xx. Target 5xx: read the payment "
                    "service's logs and recent deployments (roll back if one just started); load-balancer 5xx: "
                    "check that healthy targets are registered.",
                    expression="100 * (FILL(m1, 0) + FILL(m2, 0)) / FILL(m0, 1)",
                ),
                AlarmRule(
                    "alb-p99-latency",
                    (source.p99_latency,),
                    t.alb_p99_latency_ms / 1000,  # TargetResponseTime is in seconds
                    f"Payment API p99 above {t.alb_p99_latency_ms} ms. Check Aurora CPU and connections, Redis "
                    "and the service's CPU on the dashboard; scale out the service if its CPU is high.",
                ),
            ]
        case ServiceMetrics():
            return [
                AlarmRule(
                    "ecs-cpu",
                    (source.cpu,),
                    t.ecs_cpu_percent,
                    f"Payment service CPU above {t.ecs_cpu_percent}%. Autoscaling should add tasks: if the task "
                    "count is at capacity.app_max_tasks, raise it or the tasks' CPU in config.",
                ),
                AlarmRule(
                    "ecs-memory",
                    (source.memory,),
                    t.ecs_memory_percent,
                    f"Payment service memory above {t.ecs_memory_percent}%. Look for a leak in the latest "
                    "release (roll back) or raise service.memory_mib in config.",
                ),
            ]
        case DatabaseMetrics():
            return _database_rules(source, t)
        case CacheMetrics():
            return [
                AlarmRule(
                    "redis-cpu",
                    source.cpu,
                    t.cache_cpu_percent,
                    f"Redis engine CPU above {t.cache_cpu_percent}% on a node. Find hot keys or slow commands "
                    "(SLOWLOG); a larger capacity.cache_node_type helps a busy primary.",
                    expression=_busiest(source.cpu),
                ),
                AlarmRule(
                    "redis-memory",
                    source.memory,
                    t.cache_memory_percent,
                    f"Redis memory above {t.cache_memory_percent}% of maxmemory: evictions follow. Check key "
                    "expiry of payments:* keys or choose a larger capacity.cache_node_type.",
                    expression=_busiest(source.memory),
                ),
            ]
        case FunctionMetrics():
            name = source.label
            return [
                AlarmRule(
                    f"lambda-{name}-errors",
                    (source.errors,),
                    t.lambda_errors,
                    f"The {name} Lambda failed more than {t.lambda_errors} times in 5 minutes. Read its log "
                    "group for the error and the event that caused it, then fix or roll back the function.",
                    period=300,
                    evaluation_periods=1,
                    datapoints_to_alarm=1,
                ),
                AlarmRule(
                    f"lambda-{name}-throttles",
                    (source.throttles,),
                    t.lambda_throttles,
                    f"The {name} Lambda was throttled more than {t.lambda_throttles} times in 5 minutes. Check "
                    "its reserved concurrency and the account's concurrency quota.",
                    period=300,
                    evaluation_periods=1,
                    datapoints_to_alarm=1,
                ),
            ]
        case StreamMetrics():
            return [
                AlarmRule(
                    "kinesis-iterator-age",
                    (source.iterator_age,),
                    t.stream_iterator_age_ms,
                    f"Payment events wait more than {t.stream_iterator_age_ms} ms to be read: the stream "
                    "processor is failing or too slow. Check its errors and duration; records expire after "
                    "retention.stream_hours.",
                ),
            ]
    raise ValueError(f"no alarms are defined for {type(source).__name__}")


def _database_rules(source: DatabaseMetrics, t: AlarmThresholds) -> list[AlarmRule]:
    rules = [
        AlarmRule(
            "db-cpu",
            (source.cpu,),
            t.db_cpu_percent,
            f"Aurora CPU above {t.db_cpu_percent}% on an instance. Read Performance Insights' top SQL; "
            "move reads to the reader endpoint or choose a larger capacity.db_instance_class.",
        ),
        AlarmRule(
            "db-free-local-storage",
            (source.free_local_storage,),
            t.db_free_local_storage_mib * MIB,
            f"An Aurora instance has less than {t.db_free_local_storage_mib} MiB of local storage (temporary "
            "tables, sorts, logs). Find the queries spilling to disk (work_mem, pg_stat_statements) or choose "
            "a larger instance class.",
            below=True,
        ),
        AlarmRule(
            "db-replica-lag",
            (source.replica_lag,),
            t.db_replica_lag_ms,
            f"An Aurora reader lags the writer by more than {t.db_replica_lag_ms} ms: reads are stale. Check "
            "the reader's CPU and long-running writes on the writer.",
        ),
    ]
    if source.global_replication_lag is not None:
        rules.append(
            AlarmRule(
                "db-global-replication-lag",
                (source.global_replication_lag,),
                t.db_global_replication_lag_ms,
                f"This region's Aurora member is more than {t.db_global_replication_lag_ms} ms behind "
                f"{source.replicates_from}: a failover now would lose that much. Check write volume in the "
                "primary and the global database's status before any failover.",
            )
        )
    return rules
