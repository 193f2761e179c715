"""Lambda entry point: a Kinesis event source mapping with ReportBatchItemFailures (bisect on error,
a maximum record age and an SQS on-failure destination) delivers records of the payments stream.

Each record must be a UTF-8 JSON object naming its event (`event_id`, and an `event_type` starting
with "payment."); it is forwarded unchanged to the notifier's queue, which validates it in full.
A record that is not one is poisoned: reported in `batchItemFailures` so that the mapping retries
it and, past its limits, hands it to the on-failure destination, while the other records of the
batch go through. Delivery is at least once: a retried batch can forward a record again, and
`event_id` lets consumers drop the repeat.

Environment: PAYMENT_EVENTS_QUEUE_URL (the notifier's queue).
"""

from __future__ import annotations

import binascii
import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from .observability import logger, tracer

# Throttling, 5xx answers and dropped connections are retried with exponential backoff and jitter.
SDK_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=5)
EVENT_TYPE_PREFIX = "payment."
processor = BatchProcessor(event_type=EventType.KinesisDataStreams)


class PoisonedRecord(ValueError):
    """The record is not a payment event; retrying cannot change that."""


@dataclass(frozen=True)
class PaymentEventRecord:
    text: str
    event_id: str
    event_type: str

    @classmethod
    def decode(cls, record: KinesisStreamRecord) -> PaymentEventRecord:
        try:
            text = record.kinesis.data_as_bytes().decode("utf-8")
            event = json.loads(text)
        except (binascii.Error, UnicodeDecodeError):
            raise PoisonedRecord("the data is not UTF-8 text") from None
        except ValueError:
            raise PoisonedRecord("the data is not JSON") from None
        if not isinstance(event, dict):
            raise PoisonedRecord("the data is not a JSON object")
        event_id, event_type = event.get("event_id"), event.get("event_type")
        if not isinstance(event_id, str) or not event_id:
            raise PoisonedRecord("the event has no event_id")
        if not isinstance(event_type, str) or not event_type.startswith(EVENT_TYPE_PREFIX):
            raise PoisonedRecord(f"the event_type does not start with {EVENT_TYPE_PREFIX!r}")
        return cls(text, event_id, event_type)


@dataclass(frozen=True)
class ForwarderSettings:
    queue_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ForwarderSettings:
        env = os.environ if env is None else env
        if not env.get("PAYMENT_EVENTS_QUEUE_URL"):
            raise ValueError("the stream processor needs PAYMENT_EVENTS_QUEUE_URL in its environment")
        return cls(queue_url=env["PAYMENT_EVENTS_QUEUE_URL"])


@functools.cache
def sqs_client() -> Any:
    return boto3.client("sqs", config=SDK_CONFIG)


class Forwarder:
    def __init__(self, settings: ForwarderSettings, sqs: Any):
        self._settings, self._sqs = settings, sqs

    @tracer.capture_method(capture_response=False)
    def handle(self, record: KinesisStreamRecord) -> None:
        where = {"sequence_number": record.kinesis.sequence_number, "partition_key": record.kinesis.partition_key}
        try:
            event = PaymentEventRecord.decode(record)
        except PoisonedRecord as poisoned:
            logger.warning("poisoned record reported as a batch item failure", extra={**where, "reason": str(poisoned)})
            raise
        self._sqs.send_message(
            QueueUrl=self._settings.queue_url,
            MessageBody=event.text,
            MessageAttributes={
                "event_id": {"DataType": "String", "StringValue": event.event_id},
                "event_type": {"DataType": "String", "StringValue": event.event_type},
                "kinesis_sequence_number": {"DataType": "String", "StringValue": record.kinesis.sequence_number},
            },
        )
        logger.info("payment event forwarded", extra={**where, "event_id": event.event_id})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    forwarder = Forwarder(ForwarderSettings.from_env(), sqs_client())
    return process_partial_response(event=event, record_handler=forwarder.handle, processor=processor, context=context)
