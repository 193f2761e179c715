"""CloudWatch log groups that all share one retention setting and the logs CMK (OPS-1, SEC-2).

How to use: the stack builds one `LogSettings` from the region's logs key and the retention in
config (`retention.log_days`, the years of `retention.log_years` mapped to a value CloudWatch
accepts) and hands it to every construct that writes logs; each builds its group with

    group = EncryptedLogGroup(self, "logs", EncryptedLogGroupProps(name, settings))
    group.grant_write(role)          # a service role that delivers into the group (flow logs, ...)
    group.name, group.arn            # for the writer's configuration (Lambda logging_config, ...)

so no log group can exist with another key, no key, or its own retention.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from constructs import Construct

from constructs_lib.kms import CustomerKey
from constructs_lib.policy import Statement, statement_id
from constructs_lib.service_role import ServiceRole

# The only retention periods (days) CloudWatch Logs accepts.
CLOUDWATCH_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


@dataclass(frozen=True)
class LogSettings:
    """What every log group of a stack shares: the logs CMK and the one retention (OPS-1)."""

    key: CustomerKey  # the region's "logs" key: its policy admits the regional CloudWatch Logs service
    retention_days: int  # from config: retention.log_days

    def __post_init__(self) -> None:
        if self.key.purpose != "logs":
            raise ValueError(f"log groups are encrypted with the 'logs' key, not the {self.key.purpose!r} key")
        if self.retention_days not in CLOUDWATCH_RETENTION_DAYS:
            allowed = ", ".join(str(days) for days in CLOUDWATCH_RETENTION_DAYS)
            raise ValueError(
                f"log retention {self.retention_days} days is not one CloudWatch accepts; allowed: {allowed}"
            )


@dataclass(frozen=True)
class EncryptedLogGroupProps:
    name: str  # the full log group name, e.g. /meridian/vpc-flow-logs-dev
    settings: LogSettings


class EncryptedLogGroup(Construct):
    def __init__(self, scope: Construct, id_: str, props: EncryptedLogGroupProps) -> None:
        super().__init__(scope, id_)
        self._group = CloudwatchLogGroup(
            self,
            "group",
            name=props.name,
            kms_key_id=props.settings.key.arn,
            retention_in_days=props.settings.retention_days,
        )
        self._name: str = self._group.name  # read once: each read is a round trip to the jsii runtime
        self._arn: str = self._group.arn

    @property
    def name(self) -> str:
        return self._name

    @property
    def dependable(self) -> CloudwatchLogGroup:
        """For `depends_on` of a writer that would otherwise create the group itself (RDS log exports)."""
        return self._group

    @property
    def arn(self) -> str:
        """The group's ARN (without the `:*` suffix CloudWatch adds in some APIs)."""
        return self._arn

    def grant_write(self, role: ServiceRole) -> None:
        """Let a delivering service's role create streams in this group and put events into them."""
        role.add_to_policy(
            Statement(
                sid=f"WriteLogGroup{statement_id(self.node.id)}",
                actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[self.arn, f"{self.arn}:log-stream:*"],
            )
        )
