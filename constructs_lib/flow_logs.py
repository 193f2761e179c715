"""VPC flow logs of ALL traffic into a CMK-encrypted log group, delivered by a role of their own (NET-4)."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.flow_log import FlowLog
from constructs import Construct

from constructs_lib.log_group import EncryptedLogGroup, EncryptedLogGroupProps, LogSettings
from constructs_lib.naming import Naming
from constructs_lib.service_role import ServiceRole, ServiceRoleProps


@dataclass(frozen=True)
class FlowLogsProps:
    naming: Naming
    vpc_id: str
    logs: LogSettings  # the logs key and the one retention setting
    account_id: str
    region: str
    aggregation_seconds: int = 60  # the finest AWS offers: an incident timeline to the minute


class FlowLogs(Construct):
    def __init__(self, scope: Construct, id_: str, props: FlowLogsProps) -> None:
        super().__init__(scope, id_)
        name = props.naming.name("vpc-flow-logs", props.region)  # IAM names are global: one role per region
        group_name = f"/vpc-flow-logs/{props.naming.name('vpc')}"  # the VPC's name: whose traffic it is
        self.log_group = EncryptedLogGroup(self, "logs", EncryptedLogGroupProps(group_name, props.logs))
        self.role = ServiceRole(
            self,
            "delivery",
            ServiceRoleProps(
                name=name,
                description="VPC flow logs deliver the VPC's traffic records to their log group",
                service="vpc-flow-logs.amazonaws.com",
                source_account=props.account_id,
                source_arn=f"arn:aws:ec2:{props.region}:{props.account_id}:vpc-flow-log/*",
            ),
        )
        self.log_group.grant_write(self.role)
        self._flow_log = FlowLog(
            self,
            "flow-log",
            vpc_id=props.vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.log_group.arn,
            iam_role_arn=self.role.arn,
            max_aggregation_interval=props.aggregation_seconds,
            tags={"Name": name},
        )

    @property
    def id(self) -> str:
        return self._flow_log.id
