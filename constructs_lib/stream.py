"""The payment event stream: a Kinesis data stream encrypted with the Kinesis CMK (DATA-7, SEC-2).

On-demand capacity (no shard count to size or to outgrow), retention from config (24 hours by
default), KMS with the region's Kinesis key. Producers and consumers get access by wiring, never by
a policy pasted elsewhere:

    stream = EventStream(self, "payments", EventStreamProps(name, keys.for_("kinesis"), retention_hours=24, region=region))
    stream.grant_write(task_role)       # the payment service puts records
    stream.grant_read(processor_role)   # the stream processor (LAM-4) reads them
    stream.arn, stream.name
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.kinesis_stream import KinesisStream
from constructs import Construct

from constructs_lib.kms import CustomerKey
from constructs_lib.policy import Statement, statement_id
from constructs_lib.service_role import ServiceRole

# Kinesis keeps records from 24 hours (its minimum) up to 365 days.
MIN_RETENTION_HOURS, MAX_RETENTION_HOURS = 24, 8760

_WRITE = ["kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary", "kinesis:ListShards"]
_READ = [
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:ListShards",
    "kinesis:SubscribeToShard",
]


@dataclass(frozen=True)
class EventStreamProps:
    name: str
    key: CustomerKey  # the region's Kinesis CMK
    retention_hours: int  # from config: retention.stream_hours
    region: str  # kms:ViaService in grants

    def __post_init__(self) -> None:
        if self.key.purpose != "kinesis":
            raise ValueError(f"stream {self.name}: encrypted with the 'kinesis' key, not the {self.key.purpose!r} key")
        if not MIN_RETENTION_HOURS <= self.retention_hours <= MAX_RETENTION_HOURS:
            raise ValueError(
                f"stream {self.name}: retention {self.retention_hours} hours; "
                f"allowed: {MIN_RETENTION_HOURS} to {MAX_RETENTION_HOURS}"
            )


class EventStream(Construct):
    def __init__(self, scope: Construct, id_: str, props: EventStreamProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        self._stream = KinesisStream(
            self,
            "stream",
            name=props.name,
            retention_period=props.retention_hours,
            encryption_type="KMS",
            kms_key_id=props.key.arn,
            stream_mode_details={"stream_mode": "ON_DEMAND"},
        )
        self._arn: str = self._stream.arn  # read once: each read is a round trip to the jsii runtime
        self._name: str = self._stream.name

    @property
    def arn(self) -> str:
        return self._arn

    @property
    def name(self) -> str:
        return self._name

    def grant_write(self, role: ServiceRole) -> None:
        """Producer: put records into this stream, encrypting with its key through Kinesis."""
        self._grant(role, "Write", _WRITE, ["kms:GenerateDataKey"])

    def grant_read(self, role: ServiceRole) -> None:
        """Consumer: read this stream's shards, decrypting with its key through Kinesis."""
        self._grant(role, "Read", _READ, ["kms:Decrypt"])

    def _grant(self, role: ServiceRole, verb: str, stream_actions: list[str], key_actions: list[str]) -> None:
        suffix = statement_id(self.node.id)
        role.add_to_policy(
            Statement(
                sid=f"{verb}Stream{suffix}",
                actions=stream_actions,
                # consumers registered for enhanced fan-out live under the stream's ARN
                resources=[self.arn, f"{self.arn}/consumer/*"] if verb == "Read" else [self.arn],
            )
        )
        role.add_to_policy(
            Statement(
                sid=f"{verb}StreamKey{suffix}",
                actions=key_actions,
                resources=[self._props.key.arn],
                conditions={"StringEquals": {"kms:ViaService": f"kinesis.{self._props.region}.amazonaws.com"}},
            )
        )
