"""The Lambda functions of one region and what feeds them (LAM-1..LAM-4, SEC-4, SEC-5).

    payments stream ──> stream processor ──> payment events queue ──> notifier ──> payment events topic
      (Kinesis)          poisoned record:      (SQS, redrives to        invalid event: dead letters with
                         stream failures       the dead letters)        its reason; publish failing: retried

The notifier is fed by an SQS queue rather than invoked asynchronously by the stream processor: the
queue holds events while the notifier or SNS is down (14 days), retries each message on its own
(partial batch failures), bounds the notifier's concurrency without throttling the stream processor,
and hands what never succeeds to a dead-letter queue the notifier also sends invalid events to.
Every function here is invoked synchronously (by event source mappings, and by Secrets Manager for
rotation), so none needs a Lambda dead-letter queue: failures land in the queues above.

Rotation runs only in the primary region, where the database secrets live (Secrets Manager invokes
a rotation function of the secret's own region); the secondary region has no rotation function and
no rotation tier. Attributes for operations (dashboards, alarms): `rotation` (None without one),
`notifier`, `stream_processor`, each with `.function_name` and `.arn`.
"""

from __future__ import annotations

import functools

from constructs import Construct

from config.model import FunctionSettings
from constructs_lib.event_topic import EventTopic, EventTopicProps
from constructs_lib.lambda_function import LambdaFunction, LambdaFunctionProps, VpcPlacement
from constructs_lib.queue import EncryptedQueue, EncryptedQueueProps
from constructs_lib.stream import EventStream
from stacks.network_stores import NetworkStores
from stacks.region import RegionBasics
from tools.lambda_build import BuiltFunction, build

ROTATION_DAYS = 30  # SEC-4
NOTIFIER_TIMEOUT_SECONDS = 30
# SQS hides a received message this long; AWS asks for six times the consuming function's timeout.
EVENTS_VISIBILITY_SECONDS = 6 * NOTIFIER_TIMEOUT_SECONDS


@functools.cache
def packaged(name: str) -> BuiltFunction:
    """Each function is built once per synth, whichever regions use it."""
    return build(name)


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        basics: RegionBasics,
        *,
        stores: NetworkStores,
        stream: EventStream,
    ) -> None:
        super().__init__(scope, id_)
        config, naming, region, keys = basics.config, basics.naming, basics.region, basics.keys
        logs, network = basics.logs, basics.network
        self.region = region
        self._config, self._naming, self._keys, self._logs = config, naming, keys, logs
        self.rotation: LambdaFunction | None = None
        if stores.credentials is not None and stores.rotation_tier is not None:
            self.rotation = self._function(
                "rotation",
                "db-rotation",
                "Secrets Manager rotation of the database users' passwords (single user)",
                config.functions.rotation,
                timeout_seconds=60,
                environment={"DB_CONNECT_TIMEOUT_SECONDS": "5"},
                vpc=VpcPlacement(network.private_subnet_ids, stores.rotation_tier),
            )
            stores.credentials.rotate_with(self.rotation, every_days=ROTATION_DAYS)

        self.topic = EventTopic(
            self, "payment-events-topic", EventTopicProps(naming.name("payment-events"), keys.for_("sns"), region)
        )
        self.dead_letters = self._queue("notifier-dead-letters", "payment-events-dead-letters")
        self.events_queue = self._queue(
            "payment-events",
            "payment-events",
            visibility_timeout_seconds=EVENTS_VISIBILITY_SECONDS,
            dead_letter_queue=self.dead_letters,
        )
        self.notifier = self._function(
            "notifier",
            "notifier",
            "Validates payment events and publishes them to the payment events topic",
            config.functions.notifier,
            timeout_seconds=NOTIFIER_TIMEOUT_SECONDS,
            environment={"TOPIC_ARN": self.topic.arn, "DEAD_LETTER_QUEUE_URL": self.dead_letters.url},
        )
        self.topic.grant_publish(self.notifier.role)
        self.dead_letters.grant_send(self.notifier.role)
        self.notifier.consume_queue(self.events_queue)

        self.stream_failures = self._queue("stream-failures", "payment-stream-failures")
        self.stream_processor = self._function(
            "stream_processor",
            "stream-processor",
            "Forwards payment events from the payments stream to the notifier's queue",
            config.functions.stream_processor,
            timeout_seconds=60,
            environment={"PAYMENT_EVENTS_QUEUE_URL": self.events_queue.url},
        )
        self.events_queue.grant_send(self.stream_processor.role)
        self.stream_processor.consume_stream(stream, on_failure=self.stream_failures)

    def _function(
        self,
        source: str,
        purpose: str,
        description: str,
        settings: FunctionSettings,
        *,
        timeout_seconds: int,
        environment: dict[str, str],
        vpc: VpcPlacement | None = None,
    ) -> LambdaFunction:
        return LambdaFunction(
            self,
            purpose,
            LambdaFunctionProps(
                name=self._naming.name(purpose),
                role_name=self._naming.name(purpose, self.region),
                description=description,
                code=packaged(source),
                account_id=self._config.accounts.own,
                region=self.region,
                logs=self._logs,
                environment_key=self._keys.for_("lambda"),
                reserved_concurrency=settings.reserved_concurrency,
                timeout_seconds=timeout_seconds,
                environment=environment,
                vpc=vpc,
            ),
        )

    def _queue(
        self,
        id_: str,
        purpose: str,
        *,
        visibility_timeout_seconds: int = 30,
        dead_letter_queue: EncryptedQueue | None = None,
    ) -> EncryptedQueue:
        return EncryptedQueue(
            self,
            id_,
            EncryptedQueueProps(
                self._naming.name(purpose),
                self._keys.for_("sqs"),
                self.region,
                visibility_timeout_seconds=visibility_timeout_seconds,
                dead_letter_queue=dead_letter_queue,
            ),
        )

    def outputs(self) -> dict[str, tuple[str, str]]:
        """Name -> (value, description) for the stack's outputs (DC-10)."""
        where = f"in {self.region}"
        found = {
            "payment_events_topic_arn": (self.topic.arn, f"SNS topic of payment events {where} (SNS key)"),
            "payment_events_queue_url": (self.events_queue.url, f"Queue feeding the notifier {where}"),
            "payment_events_dead_letter_queue_url": (
                self.dead_letters.url,
                f"Payment events the notifier refused or could not publish {where}",
            ),
            "stream_failures_queue_url": (
                self.stream_failures.url,
                f"Batches of the payments stream the stream processor gave up on {where}",
            ),
            "notifier_function_name": (self.notifier.function_name, f"Notifier Lambda function {where}"),
            "stream_processor_function_name": (
                self.stream_processor.function_name,
                f"Stream processor Lambda function {where}",
            ),
        }
        if self.rotation:
            found["rotation_function_name"] = (self.rotation.function_name, f"Secret rotation Lambda function {where}")
        return found
