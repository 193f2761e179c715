"""Payment notifier: SQS -> validation -> SNS topic, dead-letter queue, retries (LAM-2, QA-3)."""

from __future__ import annotations

import json

import pytest
from botocore.awsrequest import AWSResponse

from lambda_src.notifier import handler as notifier
from lambda_src.notifier.observability import logger as notifier_logger
from lambda_src.notifier.payment_event import MAX_AMOUNT_MINOR
from payment_service import models
from tests.lambdas.conftest import failing_call
from tests.support.event_sources import InvocationContext, deliver_sqs_batch, failed_ids

pytestmark = [pytest.mark.req("LAM-2"), pytest.mark.req("QA-3")]

CONTEXT = InvocationContext("payment-notifier")
CARD_NUMBER = "4111111111111111"


def send(payments, *bodies: str) -> list[str]:
    """Puts the bodies on the notifier's queue; returns their SQS message IDs."""
    return [
        payments.sqs.send_message(QueueUrl=payments.events_queue_url, MessageBody=body)["MessageId"] for body in bodies
    ]


def attributes(message: dict) -> dict[str, str]:
    return {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}


def test_a_valid_event_reaches_the_topic_and_an_invalid_one_lands_in_the_dead_letter_queue(payments, payment_event):
    # GIVEN a valid and an invalid payment event on the notifier's queue
    valid, invalid = payment_event(), payment_event(amount_minor=-5)
    send(payments, json.dumps(valid), json.dumps(invalid))
    # WHEN the event source mapping delivers them to the function
    response = deliver_sqs_batch(notifier.lambda_handler, CONTEXT, payments.sqs, payments.events_queue_url)
    # THEN both count as handled, and the topic's subscriber got the valid one only, with its attributes
    assert failed_ids(response) == []
    delivered = payments.received(payments.subscriber_queue_url)
    assert [json.loads(message["Body"]) for message in delivered] == [valid]
    assert attributes(delivered[0]) == {
        "event_id": valid["event_id"],
        "event_type": "payment.created",
        "payment_status": "pending",
        "currency": "EUR",
        "amount_minor": "1999",
    }
    # AND the invalid one waits in the dead-letter queue with its reason, and the source queue is empty
    dead = payments.received(payments.dead_letter_queue_url)
    assert [json.loads(message["Body"]) for message in dead] == [invalid]
    assert attributes(dead[0])["reason"] == "event.payment.amount_minor must be bigger than or equal to 1"
    assert attributes(dead[0])["rejected_by"] == "payment-notifier"
    assert payments.received(payments.events_queue_url) == []


def test_subscribers_filter_on_the_message_attributes(payments, payment_event):
    failed, created = payment_event("payment.failed"), payment_event()
    send(payments, json.dumps(failed), json.dumps(created))
    deliver_sqs_batch(notifier.lambda_handler, CONTEXT, payments.sqs, payments.events_queue_url)
    only_failed = payments.received(payments.failed_payments_queue_url)
    assert [json.loads(message["Body"])["event_id"] for message in only_failed] == [failed["event_id"]]


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda e: e["payment"].pop("currency"), "event.payment must contain ['currency'] properties"),
        (lambda e: e["payment"].update(amount_minor=MAX_AMOUNT_MINOR + 1), "smaller than or equal to 1000000000"),
        (lambda e: e["payment"].update(amount_minor=19.5), "event.payment.amount_minor must be integer"),
        (lambda e: e["payment"].update(amount_minor=True), "event.payment.amount_minor must be integer"),
        (lambda e: e["payment"].update(currency="eur"), "event.payment.currency must match pattern"),
        (lambda e: e["payment"].update(status="succeeded"), "a payment.created event must carry payment.status"),
        (lambda e: e.update(event_type="payment.refunded"), "event.event_type must be one of"),
        (lambda e: e.update(occurred_at="yesterday"), "event.occurred_at must be date-time"),
        (lambda e: e["payment"].update(card_number=CARD_NUMBER), "event.payment must not contain {'card_number'}"),
    ],
    ids=[
        "missing-field",
        "amount-too-large",
        "fraction",
        "boolean",
        "currency",
        "status",
        "event-type",
        "time",
        "card-number",
    ],
)
def test_each_invalid_event_is_rejected_with_a_reason_that_never_echoes_its_data(
    change, reason, payments, payment_event, function_log
):
    read_log = function_log(notifier_logger)
    event = payment_event()
    change(event)
    send(payments, json.dumps(event))
    response = deliver_sqs_batch(notifier.lambda_handler, CONTEXT, payments.sqs, payments.events_queue_url)
    assert failed_ids(response) == []
    dead = payments.received(payments.dead_letter_queue_url)
    assert len(dead) == 1 and reason in attributes(dead[0])["reason"]
    assert payments.received(payments.subscriber_queue_url) == []
    for text in (attributes(dead[0])["reason"], read_log()):
        assert CARD_NUMBER not in text and "customer-42" not in text


def test_a_body_that_is_not_json_is_rejected(payments):
    send(payments, "payment created, amount 19.99")
    deliver_sqs_batch(notifier.lambda_handler, CONTEXT, payments.sqs, payments.events_queue_url)
    [dead] = payments.received(payments.dead_letter_queue_url)
    assert attributes(dead)["reason"] == "the message body is not JSON"


def test_the_notifier_and_the_payment_api_agree_on_the_largest_amount():
    assert MAX_AMOUNT_MINOR == models.MAX_AMOUNT_MINOR


class _Body:
    def __init__(self, content: bytes):
        self._content = content

    def stream(self, **_):
        yield self._content


def test_transient_publish_errors_are_retried_until_the_event_is_published(payments, payment_event):
    # GIVEN an SNS endpoint that answers 503 twice, then recovers
    answers = []

    def unavailable_twice(request, **_):
        answers.append(request.url)
        if len(answers) <= 2:
            body = (
                b"<ErrorResponse><Error><Code>ServiceUnavailable</Code><Message>busy</Message></Error></ErrorResponse>"
            )
            return AWSResponse(request.url, 503, {}, _Body(body))
        return None

    event = payment_event()
    send(payments, json.dumps(event))
    events = notifier.sns_client().meta.events
    events.register("before-send.sns.Publish", unavailable_twice, unique_id="test-sns-503")
    try:
        response = deliver_sqs_batch(notifier.lambda_handler, CONTEXT, payments.sqs, payments.events_queue_url)
    finally:
        events.unregister("before-send.sns.Publish", unique_id="test-sns-503")
    # THEN the third attempt published it, and nothing is reported as failed
    assert len(answers) == 3
    assert failed_ids(response) == []
    assert [json.loads(m["Body"]) for m in payments.received(payments.subscriber_queue_url)] == [event]


def test_a_publish_that_still_fails_is_reported_alone_and_delivered_on_the_next_poll(payments, payment_event):
    # GIVEN three valid events, and SNS unreachable whenever the second one is published
    first, second, third = payment_event(), payment_event(), payment_event()
    message_ids = send(payments, *(json.dumps(event) for event in (first, second, third)))
    with failing_call(notifier.sns_client(), "Publish", when=lambda params: second["event_id"] in params["Message"]):
        response = deliver_sqs_batch(
            notifier.lambda_handler, CONTEXT, payments.sqs, payments.events_queue_url, visibility_timeout=0
        )
    # THEN only the second is reported as failed; the others are published
    assert failed_ids(response) == [message_ids[1]]
    published = {json.loads(m["Body"])["event_id"] for m in payments.received(payments.subscriber_queue_url)}
    assert published == {first["event_id"], third["event_id"]}
    # WHEN SNS is back and SQS delivers the second again THEN it arrives too
    response = deliver_sqs_batch(notifier.lambda_handler, CONTEXT, payments.sqs, payments.events_queue_url)
    assert failed_ids(response) == []
    assert [json.loads(m["Body"]) for m in payments.received(payments.subscriber_queue_url)] == [second]


def test_a_notifier_without_its_topic_says_which_setting_is_missing(payments, payment_event, monkeypatch):
    monkeypatch.delenv("TOPIC_ARN")
    send(payments, json.dumps(payment_event()))
    with pytest.raises(ValueError, match="the notifier needs TOPIC_ARN in its environment"):
        deliver_sqs_batch(notifier.lambda_handler, CONTEXT, payments.sqs, payments.events_queue_url)
