"""What the Lambda service does around a handler, done by the tests against the moto server.

An event source mapping reads a batch from SQS or Kinesis, shapes it into the event Lambda
passes, invokes the function and, with ReportBatchItemFailures, treats the identifiers in
`batchItemFailures` as not processed (SQS: those messages are not deleted and come back later).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.moto_server import ACCOUNT, REGION

Handler = Callable[[dict, Any], Any]


@dataclass
class InvocationContext:
    """The `context` argument the Lambda runtime passes to a handler."""

    function_name: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def failed_ids(response: dict | None) -> list[str]:
    return [failure["itemIdentifier"] for failure in (response or {}).get("batchItemFailures", [])]


def sqs_event(messages: list[dict], source_arn: str) -> dict:
    """Received SQS messages (ReceiveMessage with all attributes) as the event Lambda passes."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value["DataType"],
                    }
                    for name, value in message.get("MessageAttributes", {}).items()
                    if "DataType" in value  # moto also lists the system attributes here, empty
                },
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": source_arn,
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


def queue_arn(sqs: Any, queue_url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def receive_batch(sqs: Any, queue_url: str, visibility_timeout: int = 30) -> list[dict]:
    """One poll: up to 10 messages with all their attributes (moto answers with every visible one)."""
    return sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
        AttributeNames=["All"],
        VisibilityTimeout=visibility_timeout,
        WaitTimeSeconds=0,
    ).get("Messages", [])


def deliver_sqs_batch(
    handler: Handler, context: InvocationContext, sqs: Any, queue_url: str, visibility_timeout: int = 30
) -> dict:
    """One poll of an SQS event source mapping: receive, invoke, delete what was processed. The
    messages it does not delete come back once `visibility_timeout` has passed."""
    messages = receive_batch(sqs, queue_url, visibility_timeout)
    assert messages, f"nothing to deliver from {queue_url}"
    response = handler(sqs_event(messages, queue_arn(sqs, queue_url)), context)
    failed = set(failed_ids(response))
    for message in messages:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return response


def kinesis_event(kinesis: Any, stream_name: str) -> dict:
    """Every record of the stream's first shard as the event a Kinesis event source mapping passes."""
    stream = kinesis.describe_stream(StreamName=stream_name)["StreamDescription"]
    shard_id = stream["Shards"][0]["ShardId"]
    start = {"StreamName": stream_name, "ShardId": shard_id, "ShardIteratorType": "TRIM_HORIZON"}
    iterator = kinesis.get_shard_iterator(**start)["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator, Limit=100)["Records"]
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record["PartitionKey"],
                    "sequenceNumber": record["SequenceNumber"],
                    "data": base64.b64encode(record["Data"]).decode("ascii"),
                    "approximateArrivalTimestamp": record["ApproximateArrivalTimestamp"].timestamp(),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard_id}:{record['SequenceNumber']}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/stream-processor",
                "awsRegion": REGION,
                "eventSourceARN": stream["StreamARN"],
            }
            for record in records
        ]
    }
