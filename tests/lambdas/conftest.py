"""The Lambda functions under test, against a moto server and (rotation) a real PostgreSQL (QA-3).

Both servers are started once per session on free loopback ports. Handlers run in this process,
invoked the way Lambda invokes them, with the SDK pointed at the moto server through the
environment the `aws` fixture sets for the test (QA-4: nothing comes from the caller's).
"""

from __future__ import annotations

import io
import json
import logging
import ssl
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pg8000.native
import pytest

from lambda_src.rotation import handler as rotation_handler
from payment_service.localservers import LOOPBACK, LocalPostgres
from tests.support.event_sources import InvocationContext, queue_arn, receive_batch
from tests.support.moto_server import MotoServer

ROTATION_STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@pytest.fixture(scope="session")
def moto(tmp_path_factory) -> Iterator[MotoServer]:
    server = MotoServer.start(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.stop()


@pytest.fixture
def aws(moto, monkeypatch) -> MotoServer:
    """The test's environment is what a handler's SDK reads: every AWS call goes to the moto server."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in moto.sdk_environment().items():
        monkeypatch.setenv(name, value)
    return moto


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def register_function(moto: MotoServer, name: str, handler: str) -> str:
    """Registers a function in moto (so services that check for it find it) and returns its ARN."""
    role = moto.client("iam").create_role(RoleName=unique(name), AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    function = moto.client("lambda").create_function(
        FunctionName=unique(name),
        Runtime="python3.11",
        Role=role["Role"]["Arn"],
        Handler=handler,
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},  # an empty zip: moto never runs it
    )
    return function["FunctionArn"]


# ---- payment events: stream -> stream processor -> queue -> notifier -> topic -> subscribers -------


@dataclass
class PaymentTopology:
    """The resources the notifier and the stream processor work with, as the stacks wire them."""

    sqs: Any
    stream_name: str
    events_queue_url: str  # the notifier's source queue; redrives to the dead-letter queue
    dead_letter_queue_url: str
    topic_arn: str  # encrypted with a KMS key, like the SNS key of the key ring
    subscriber_queue_url: str  # every event, raw delivery
    failed_payments_queue_url: str  # a filter policy on the event_type attribute: payment.failed only

    def received(self, queue_url: str) -> list[dict]:
        return receive_batch(self.sqs, queue_url)


def _queue(sqs: Any, name: str, **attributes: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, queue_arn(sqs, url)


@pytest.fixture
def payments(aws, monkeypatch) -> PaymentTopology:
    sqs, sns, name = aws.client("sqs"), aws.client("sns"), unique("payments")
    key_id = aws.client("kms").create_key(Description="sns")["KeyMetadata"]["KeyId"]
    topic_arn = sns.create_topic(Name=name, Attributes={"KmsMasterKeyId": key_id})["TopicArn"]
    dead_letter_url, dead_letter_arn = _queue(sqs, f"{name}-dlq")
    events_url, _ = _queue(
        sqs, f"{name}-events", RedrivePolicy=json.dumps({"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": 5})
    )
    subscriber_url, subscriber_arn = _queue(sqs, f"{name}-subscriber")
    sns.subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=subscriber_arn, Attributes={"RawMessageDelivery": "true"}
    )
    failed_url, failed_arn = _queue(sqs, f"{name}-failed")
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=failed_arn,
        Attributes={"RawMessageDelivery": "true", "FilterPolicy": json.dumps({"event_type": ["payment.failed"]})},
    )
    aws.client("kinesis").create_stream(StreamName=name, ShardCount=1)
    monkeypatch.setenv("TOPIC_ARN", topic_arn)
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", dead_letter_url)
    monkeypatch.setenv("PAYMENT_EVENTS_QUEUE_URL", events_url)
    return PaymentTopology(sqs, name, events_url, dead_letter_url, topic_arn, subscriber_url, failed_url)


@pytest.fixture
def payment_event():
    """payment_event(**payment fields) -> a valid payment event (a dict), e.g. payment_event(status="failed")."""

    def build(event_type: str = "payment.created", **payment: Any) -> dict:
        status = {"payment.created": "pending", "payment.succeeded": "succeeded", "payment.failed": "failed"}
        return {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "occurred_at": "2026-12-01T12:00:00Z",
            "payment": {
                "id": str(uuid.uuid4()),
                "amount_minor": 1999,
                "currency": "EUR",
                "merchant_reference": "merchant-7",
                "customer_reference": "customer-42",
                "status": status[event_type],
                **payment,
            },
        }

    return build


# ---- rotation: a real PostgreSQL with TLS only, and Secrets Manager's side of a rotation -------------


APP_DATABASE = "payments"
# Clear text refused: a rotation that forgot TLS could not log in at all.
TLS_ONLY_HBA = (
    f"local all all trust\nhostssl all all {LOOPBACK}/32 scram-sha-256\nhostnossl all all {LOOPBACK}/32 reject\n"
)


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """PostgreSQL over TLS only (a certificate from a throwaway CA) that logs every statement (a
    password must never show up), with the database every application user of the tests uses."""
    server = LocalPostgres.start(tls=True)
    (server.data_dir / "pg_hba.conf").write_text(TLS_ONLY_HBA)
    server.psql("ALTER SYSTEM SET log_statement = 'all'")
    server.psql("ALTER SYSTEM SET fsync = off")  # throwaway data: no need to wait for the disk
    server.psql("SELECT pg_reload_conf()")
    server.psql(f"CREATE DATABASE {APP_DATABASE}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def ca_file(postgres) -> Path:
    """The CA that issued the server's certificate: what DB_SSL_ROOT_CERT names in production's place."""
    assert postgres.certificates is not None
    return postgres.certificates.ca_file


@pytest.fixture
def rotation_env(aws, ca_file, monkeypatch) -> MotoServer:
    monkeypatch.setenv("DB_SSL_ROOT_CERT", str(ca_file))
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_SECONDS", "2")
    return aws


@dataclass
class DatabaseUser:
    """A PostgreSQL role and its secret in Secrets Manager, as the data tier creates them."""

    secret_id: str
    username: str
    dbname: str
    initial_password: str


@pytest.fixture
def database_user(postgres, rotation_env):
    """database_user(master=False): a new role (the master: CREATEDB CREATEROLE, like RDS's) and its secret."""
    secrets = rotation_env.client("secretsmanager")

    def create(master: bool = False) -> DatabaseUser:
        username, password = unique("master" if master else "app"), uuid.uuid4().hex
        privileges = "CREATEDB CREATEROLE" if master else ""
        postgres.psql(f"CREATE ROLE {username} LOGIN {privileges} PASSWORD '{password}'")
        dbname = "postgres" if master else APP_DATABASE
        value = {
            "engine": "postgres",
            "host": LOOPBACK,
            "port": postgres.port,
            "dbname": dbname,
            "username": username,
            "password": password,
        }
        secret_id = secrets.create_secret(Name=f"meridian-test/{username}", SecretString=json.dumps(value))["ARN"]
        return DatabaseUser(secret_id, username, dbname, password)

    return create


@dataclass
class Rotation:
    """Secrets Manager's side of a rotation: RotateSecret on the moto server turns rotation on and
    creates the AWSPENDING version (as the service does); then the function is invoked once per
    step, in order, stopping at the first failure."""

    secrets: Any
    function_arn: str

    def start(self, secret_id: str) -> str:
        # A completed rotation leaves AWSPENDING beside AWSCURRENT, which the contract calls finished;
        # moto (5.1) reads it as a rotation still in progress and refuses the next one, so the label
        # is taken off first, as Secrets Manager would treat it.
        for version, labels in self.labels(secret_id).items():
            if {"AWSCURRENT", "AWSPENDING"} <= set(labels):
                self.secrets.update_secret_version_stage(
                    SecretId=secret_id, VersionStage="AWSPENDING", RemoveFromVersionId=version
                )
        response = self.secrets.rotate_secret(
            SecretId=secret_id, RotationLambdaARN=self.function_arn, RotationRules={"AutomaticallyAfterDays": 30}
        )
        return response["VersionId"]

    def invoke(self, secret_id: str, token: str, step: str) -> None:
        event = {"SecretId": secret_id, "ClientRequestToken": token, "Step": step}
        rotation_handler.lambda_handler(event, InvocationContext("secret-rotation"))

    def run(self, secret_id: str, token: str, steps: tuple[str, ...] = ROTATION_STEPS) -> None:
        for step in steps:
            self.invoke(secret_id, token, step)

    def rotate(self, secret_id: str) -> str:
        token = self.start(secret_id)
        self.run(secret_id, token)
        return token

    def value(self, secret_id: str, label: str, token: str | None = None) -> dict:
        request = {"SecretId": secret_id, "VersionStage": label, **({"VersionId": token} if token else {})}
        return json.loads(self.secrets.get_secret_value(**request)["SecretString"])

    def labels(self, secret_id: str) -> dict[str, list[str]]:
        return self.secrets.describe_secret(SecretId=secret_id)["VersionIdsToStages"]


@pytest.fixture(scope="session")
def rotation_function_arn(moto) -> str:
    return register_function(moto, "secret-rotation", "rotation.handler.lambda_handler")


@pytest.fixture
def rotation(rotation_env, rotation_function_arn) -> Rotation:
    return Rotation(rotation_env.client("secretsmanager"), rotation_function_arn)


@pytest.fixture
def logs_in(ca_file):
    """logs_in(secret value) -> True when PostgreSQL accepts it over verified TLS, False when it
    refuses the password; any other failure (server down, TLS) is raised, never read as a refusal."""
    tls = ssl.create_default_context(cafile=str(ca_file))

    def attempt(value: dict) -> bool:
        try:
            session = pg8000.native.Connection(
                value["username"],
                host=value["host"],
                port=value["port"],
                database=value["dbname"],
                password=value["password"],
                ssl_context=tls,
                timeout=5,
            )
        except pg8000.native.DatabaseError as error:
            assert error.args[0]["C"] == "28P01", error
            return False
        session.close()
        return True

    return attempt


@pytest.fixture
def function_log():
    """function_log(logger) -> a callable returning the JSON lines that Powertools logger wrote during
    the test, formatted as in production."""
    attached: list[tuple[logging.Logger, logging.Handler]] = []

    def capture(logger: Any):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logger.registered_formatter)
        target = logging.getLogger(logger.name)
        target.addHandler(handler)
        attached.append((target, handler))
        return lambda: stream.getvalue()

    yield capture
    for target, handler in attached:
        target.removeHandler(handler)


@contextmanager
def failing_call(client: Any, operation: str, when: Callable[[dict], bool] = lambda params: True) -> Iterator[list]:
    """Calls of `operation` on `client` whose parameters match `when` fail as if the service were
    unreachable (what the SDK raises once its retries are spent); the list collects those calls."""
    from botocore.exceptions import EndpointConnectionError

    failed: list[dict] = []

    def fail(params: dict, **_: Any) -> None:
        if when(params):
            failed.append(params)
            raise EndpointConnectionError(endpoint_url=client.meta.endpoint_url)

    event = f"before-parameter-build.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    client.meta.events.register(event, fail, unique_id=f"test-fault-{operation}")
    try:
        yield failed
    finally:
        client.meta.events.unregister(event, unique_id=f"test-fault-{operation}")
