"""Lambda entry point: an SQS event source mapping with ReportBatchItemFailures delivers payment events.

Per message: a valid event is published to the topic; an invalid one is sent to the dead-letter
queue with its reason and counts as handled (retrying cannot fix it); a publish that still fails
after the SDK's retries is reported in `batchItemFailures`, so SQS delivers that message again
(and after the queue's maxReceiveCount, its redrive policy moves it to the same dead-letter queue).

Environment: TOPIC_ARN (the payments topic, encrypted with the SNS key), DEAD_LETTER_QUEUE_URL.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from .observability import SERVICE, logger, tracer
from .payment_event import InvalidPaymentEvent, parse_payment_event

# Throttling, 5xx answers and dropped connections are retried with exponential backoff and jitter.
SDK_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=5)
processor = BatchProcessor(event_type=EventType.SQS)


@dataclass(frozen=True)
class NotifierSettings:
    topic_arn: str
    dead_letter_queue_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifierSettings:
        env = os.environ if env is None else env
        missing = [name for name in ("TOPIC_ARN", "DEAD_LETTER_QUEUE_URL") if not env.get(name)]
        if missing:
            raise ValueError(f"the notifier needs {' and '.join(missing)} in its environment")
        return cls(topic_arn=env["TOPIC_ARN"], dead_letter_queue_url=env["DEAD_LETTER_QUEUE_URL"])


@functools.cache
def sns_client() -> Any:
    return boto3.client("sns", config=SDK_CONFIG)


@functools.cache
def sqs_client() -> Any:
    return boto3.client("sqs", config=SDK_CONFIG)


def _string(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def message_attributes(event: dict[str, Any]) -> dict[str, dict[str, str]]:
    """What subscription filter policies match on; no reference that could identify a customer."""
    payment = event["payment"]
    return {
        "event_id": _string(event["event_id"]),
        "event_type": _string(event["event_type"]),
        "payment_status": _string(payment["status"]),
        "currency": _string(payment["currency"]),
        "amount_minor": {"DataType": "Number", "StringValue": str(payment["amount_minor"])},
    }


class Notifier:
    def __init__(self, settings: NotifierSettings, sns: Any, sqs: Any):
        self._settings, self._sns, self._sqs = settings, sns, sqs

    @tracer.capture_method(capture_response=False)
    def handle(self, record: SQSRecord) -> None:
        try:
            event = parse_payment_event(record.body)
        except InvalidPaymentEvent as rejected:
            self._dead_letter(record, rejected.reason)
            return
        published = self._sns.publish(
            TopicArn=self._settings.topic_arn,
            Message=json.dumps(event, sort_keys=True, separators=(",", ":")),
            MessageAttributes=message_attributes(event),
        )
        logger.info(
            "payment event published",
            extra={
                "event_id": event["event_id"],
                "event_type": event["event_type"],
                "sns_message_id": published["MessageId"],
            },
        )

    def _dead_letter(self, record: SQSRecord, reason: str) -> None:
        self._sqs.send_message(
            QueueUrl=self._settings.dead_letter_queue_url,
            MessageBody=record.body,
            MessageAttributes={
                "reason": _string(reason),
                "rejected_by": _string(SERVICE),
                "source_message_id": _string(record.message_id),
            },
        )
        logger.warning(
            "payment event rejected to the dead-letter queue",
            extra={"sqs_message_id": record.message_id, "reason": reason},
        )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    notifier = Notifier(NotifierSettings.from_env(), sns_client(), sqs_client())
    return process_partial_response(event=event, record_handler=notifier.handle, processor=processor, context=context)
