"""An SQS queue encrypted with the region's SQS CMK, optionally redriving to a dead-letter queue (LAM-2, LAM-4, SEC-2).

How to use:

    dead_letters = EncryptedQueue(self, "dead-letters", EncryptedQueueProps(name, keys.for_("sqs"), region))
    events = EncryptedQueue(self, "events", EncryptedQueueProps(
        name, keys.for_("sqs"), region, visibility_timeout_seconds=180, dead_letter_queue=dead_letters))
    events.grant_send(producer_role)      # SendMessage, encrypting with the key through SQS
    events.grant_consume(consumer_role)   # Receive/Delete/ChangeVisibility, decrypting through SQS
    events.arn, events.url, events.name

Only principals of this account reach a queue, through their IAM policies; the queue's own policy
refuses every request that is not TLS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from constructs import Construct

from constructs_lib.kms import CustomerKey
from constructs_lib.policy import Statement, document, statement_id
from constructs_lib.service_role import ServiceRole

MAX_RETENTION_SECONDS = 1_209_600  # 14 days, SQS's maximum
MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200  # 12 hours

_SEND = ["sqs:SendMessage", "sqs:GetQueueAttributes"]
_CONSUME = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]


@dataclass(frozen=True)
class EncryptedQueueProps:
    name: str
    key: CustomerKey  # the region's "sqs" key
    region: str  # kms:ViaService in grants
    retention_seconds: int = MAX_RETENTION_SECONDS  # the longest time to look at a message before it is gone
    visibility_timeout_seconds: int = 30  # a Lambda consumer's queue: at least six times the function's timeout
    dead_letter_queue: EncryptedQueue | None = None  # where a message goes after max_receive_count receipts
    max_receive_count: int = 5

    def __post_init__(self) -> None:
        if self.key.purpose != "sqs":
            raise ValueError(f"queue {self.name}: encrypted with the 'sqs' key, not the {self.key.purpose!r} key")
        if not 60 <= self.retention_seconds <= MAX_RETENTION_SECONDS:
            raise ValueError(
                f"queue {self.name}: retention {self.retention_seconds} s; allowed: 60 to {MAX_RETENTION_SECONDS}"
            )
        if not 0 <= self.visibility_timeout_seconds <= MAX_VISIBILITY_TIMEOUT_SECONDS:
            raise ValueError(
                f"queue {self.name}: visibility timeout {self.visibility_timeout_seconds} s; "
                f"allowed: 0 to {MAX_VISIBILITY_TIMEOUT_SECONDS}"
            )
        if not 1 <= self.max_receive_count <= 1000:
            raise ValueError(f"queue {self.name}: max_receive_count {self.max_receive_count}; allowed: 1 to 1000")


class EncryptedQueue(Construct):
    def __init__(self, scope: Construct, id_: str, props: EncryptedQueueProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        redrive = props.dead_letter_queue
        self._queue = SqsQueue(
            self,
            "queue",
            name=props.name,
            kms_master_key_id=props.key.arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=props.retention_seconds,
            visibility_timeout_seconds=props.visibility_timeout_seconds,
            redrive_policy=(
                json.dumps({"deadLetterTargetArn": redrive.arn, "maxReceiveCount": props.max_receive_count})
                if redrive
                else None
            ),
        )
        self._arn: str = self._queue.arn  # read once: each read is a round trip to the jsii runtime
        self._url: str = self._queue.url
        SqsQueuePolicy(
            self,
            "policy",
            queue_url=self._url,
            policy=document(
                [
                    Statement(
                        sid="DenyInsecureTransport",
                        effect="Deny",
                        principals={"AWS": ["*"]},
                        actions=["sqs:*"],
                        resources=[self._arn],
                        conditions={"Bool": {"aws:SecureTransport": "false"}},
                    )
                ]
            ),
        )

    @property
    def arn(self) -> str:
        return self._arn

    @property
    def url(self) -> str:
        return self._url

    @property
    def name(self) -> str:
        return self._queue.name

    def grant_send(self, role: ServiceRole) -> None:
        """Producer: send messages here, encrypting with the queue's key through SQS."""
        self._grant(role, "Send", _SEND, ["kms:GenerateDataKey", "kms:Decrypt"])

    def grant_consume(self, role: ServiceRole) -> None:
        """Consumer: receive, delete and return messages, decrypting with the queue's key through SQS."""
        self._grant(role, "Consume", _CONSUME, ["kms:Decrypt"])

    def _grant(self, role: ServiceRole, verb: str, queue_actions: list[str], key_actions: list[str]) -> None:
        suffix = statement_id(self.node.id)
        role.add_to_policy(Statement(sid=f"{verb}Queue{suffix}", actions=queue_actions, resources=[self.arn]))
        self._props.key.grant_use(role, key_actions, "sqs", f"{verb}Queue{suffix}Key")
