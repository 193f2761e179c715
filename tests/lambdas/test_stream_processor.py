"""Stream processor: Kinesis -> notifier queue, partial batch failures (LAM-4, QA-3)."""

from __future__ import annotations

import json

import pytest

from lambda_src.notifier import handler as notifier
from lambda_src.stream_processor import handler as stream_processor
from tests.lambdas.conftest import failing_call
from tests.support.event_sources import InvocationContext, deliver_sqs_batch, failed_ids, kinesis_event

pytestmark = [pytest.mark.req("LAM-4"), pytest.mark.req("QA-3")]

CONTEXT = InvocationContext("payment-stream-processor")


def put_records(aws, payments, *payloads: bytes) -> list[str]:
    """Writes the payloads to the stream in order; returns their sequence numbers."""
    kinesis = aws.client("kinesis")
    return [
        kinesis.put_record(StreamName=payments.stream_name, Data=payload, PartitionKey="merchant-7")["SequenceNumber"]
        for payload in payloads
    ]


def forwarded(payments) -> list[dict]:
    return [json.loads(message["Body"]) for message in payments.received(payments.events_queue_url)]


def test_a_poisoned_record_is_reported_and_the_others_are_forwarded(aws, payments, payment_event):
    # GIVEN a batch of three records, the middle one not a payment event
    first, third = payment_event(), payment_event("payment.succeeded")
    sequence = put_records(aws, payments, json.dumps(first).encode(), b"\x00\x01 not json", json.dumps(third).encode())
    # WHEN the Kinesis event source mapping delivers the batch
    response = stream_processor.lambda_handler(kinesis_event(aws.client("kinesis"), payments.stream_name), CONTEXT)
    # THEN only the poisoned record is reported, and both payment events are on the notifier's queue
    assert failed_ids(response) == [sequence[1]]
    assert sorted(forwarded(payments), key=lambda e: e["event_id"]) == sorted(
        [first, third], key=lambda e: e["event_id"]
    )


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]",
        b'{"event_type": "payment.created"}',
        b'{"event_id": "e-1", "event_type": "refund.created"}',
        b'{"event_id": "", "event_type": "payment.created"}',
    ],
    ids=["not-utf8", "not-an-object", "no-event-id", "not-a-payment-event", "empty-event-id"],
)
def test_each_kind_of_poisoned_record_is_reported_without_failing_the_batch(payload, aws, payments, payment_event):
    good = payment_event()
    sequence = put_records(aws, payments, payload, json.dumps(good).encode())
    response = stream_processor.lambda_handler(kinesis_event(aws.client("kinesis"), payments.stream_name), CONTEXT)
    assert failed_ids(response) == [sequence[0]]
    assert forwarded(payments) == [good]


def test_forwarded_events_carry_their_identity_as_message_attributes(aws, payments, payment_event):
    event = payment_event()
    [sequence_number] = put_records(aws, payments, json.dumps(event).encode())
    stream_processor.lambda_handler(kinesis_event(aws.client("kinesis"), payments.stream_name), CONTEXT)
    [message] = payments.received(payments.events_queue_url)
    assert {name: value["StringValue"] for name, value in message["MessageAttributes"].items()} == {
        "event_id": event["event_id"],
        "event_type": "payment.created",
        "kinesis_sequence_number": sequence_number,
    }


def test_a_record_the_queue_does_not_take_is_reported_for_a_retry(aws, payments, payment_event):
    first, second = payment_event(), payment_event()
    sequence = put_records(aws, payments, json.dumps(first).encode(), json.dumps(second).encode())
    sqs = stream_processor.sqs_client()
    with failing_call(sqs, "SendMessage", when=lambda params: second["event_id"] in params["MessageBody"]):
        response = stream_processor.lambda_handler(kinesis_event(aws.client("kinesis"), payments.stream_name), CONTEXT)
    assert failed_ids(response) == [sequence[1]]
    assert forwarded(payments) == [first]


@pytest.mark.req("LAM-2")
def test_a_payment_event_travels_from_the_stream_to_the_topic_subscribers(aws, payments, payment_event):
    # GIVEN a payment event written to the stream, as the payment service writes it
    event = payment_event("payment.failed")
    put_records(aws, payments, json.dumps(event).encode())
    # WHEN the stream processor and then the notifier run
    assert (
        failed_ids(stream_processor.lambda_handler(kinesis_event(aws.client("kinesis"), payments.stream_name), CONTEXT))
        == []
    )
    assert (
        failed_ids(
            deliver_sqs_batch(
                notifier.lambda_handler, InvocationContext("payment-notifier"), payments.sqs, payments.events_queue_url
            )
        )
        == []
    )
    # THEN every subscriber whose filter matches has it
    for queue_url in (payments.subscriber_queue_url, payments.failed_payments_queue_url):
        assert [json.loads(message["Body"]) for message in payments.received(queue_url)] == [event]
