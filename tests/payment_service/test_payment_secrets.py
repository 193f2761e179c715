"""Credentials from Secrets Manager (a local moto server): password rotation is survived by
re-reading the secret and rebuilding the pool; the Redis AUTH token can come from a secret (APP-1)."""

import json
import uuid

import pytest

from payment_service.credentials import SecretsManagerReader

pytestmark = pytest.mark.req("APP-1")


@pytest.fixture
def rotating(postgres, migrated_database, secrets_manager, launch):
    """A role of its own whose password lives in a secret, and a service reading that secret."""
    role, password = f"rotating_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    migrated_database(postgres, role, password, role)

    def secret_for(pw: str) -> str:
        return json.dumps(
            {
                "engine": "postgres",
                "username": role,
                "password": pw,
                "host": "127.0.0.1",
                "port": postgres.port,
                "dbname": role,
            }
        )

    arn = secrets_manager.create_secret(Name=f"meridian/test/{role}", SecretString=secret_for(password))["ARN"]

    class Rotation:
        passwords = [password]
        service = launch(secret_reader=SecretsManagerReader(client=secrets_manager), DB_SECRET_ARN=arn, DATABASE_URL="")

        def change_database_password(self) -> None:
            self.passwords.append(uuid.uuid4().hex)
            postgres.set_password(role, self.passwords[-1])
            postgres.terminate_sessions(role)  # pooled sessions must log in again, as after a failover

        def publish_secret(self) -> None:
            secrets_manager.put_secret_value(SecretId=arn, SecretString=secret_for(self.passwords[-1]))

    return Rotation()


def post(service, key, make_body):
    return service.client.post("/payments", json=make_body(), headers={"Idempotency-Key": key})


def test_a_completed_rotation_is_picked_up_within_the_next_request(rotating, make_body, new_key, captured_logs):
    assert post(rotating.service, new_key(), make_body).status_code == 201
    rotating.change_database_password()
    rotating.publish_secret()
    assert post(rotating.service, new_key(), make_body).status_code == 201
    messages = [line["message"] for line in captured_logs()]
    assert "database rejected the credentials; reloading the secret" in messages
    assert not any(password in json.dumps(captured_logs()) for password in rotating.passwords)


def test_while_the_secret_lags_the_database_writes_get_503_then_succeed(rotating, make_body, new_key, captured_logs):
    rotating.change_database_password()
    key = new_key()
    lagging = post(rotating.service, key, make_body)
    rotating.publish_secret()
    assert (lagging.status_code, lagging.json()["error"]) == (503, "database_unavailable")
    assert post(rotating.service, key, make_body).status_code == 201
    assert rotating.service.client.get("/health").status_code == 200
    assert not any(password in json.dumps(captured_logs()) for password in rotating.passwords)


def test_an_unreadable_database_secret_is_a_503_not_a_crash(secrets_manager, launch, make_body, new_key):
    missing = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:meridian/test/absent-AbCdEf"
    service = launch(secret_reader=SecretsManagerReader(client=secrets_manager), DB_SECRET_ARN=missing, DATABASE_URL="")
    response = service.client.post("/payments", json=make_body(), headers={"Idempotency-Key": new_key()})
    health = service.client.get("/health")
    assert (response.status_code, response.json()["error"]) == (503, "database_unavailable")
    assert (health.status_code, health.json()["failed"]) == (503, ["postgres"])


@pytest.mark.parametrize(
    "stored, healthy",
    [
        (lambda token: json.dumps({"token": token}), True),
        (lambda token: token, True),
        (lambda token: json.dumps({"token": "wrong-" + token}), False),
    ],
    ids=["json-token", "bare-token", "wrong-token"],
)
def test_the_redis_auth_token_can_come_from_a_secret(secrets_manager, redis_server, launch, stored, healthy):
    arn = secrets_manager.create_secret(
        Name=f"meridian/test/redis-{uuid.uuid4().hex[:8]}", SecretString=stored(redis_server.password)
    )["ARN"]
    service = launch(
        secret_reader=SecretsManagerReader(client=secrets_manager), REDIS_AUTH_TOKEN="", REDIS_AUTH_SECRET_ARN=arn
    )
    health = service.client.get("/health").json()
    assert (health["checks"]["redis"] == "ok") is healthy


def test_a_redis_secret_without_a_token_field_only_costs_the_cache(
    secrets_manager, launch, make_body, new_key, captured_logs
):
    # GIVEN a Redis AUTH secret whose JSON has no token field (a configuration mistake)
    arn = secrets_manager.create_secret(
        Name=f"meridian/test/redis-{uuid.uuid4().hex[:8]}", SecretString=json.dumps({"user": "payments"})
    )["ARN"]
    service = launch(
        secret_reader=SecretsManagerReader(client=secrets_manager), REDIS_AUTH_TOKEN="", REDIS_AUTH_SECRET_ARN=arn
    )
    key, body = new_key(), make_body()
    # WHEN payments are created, replayed and read
    created = service.client.post("/payments", json=body, headers={"Idempotency-Key": key})
    replay = service.client.post("/payments", json=body, headers={"Idempotency-Key": key})
    read = service.client.get(f"/payments/{created.json()['id']}")
    # THEN PostgreSQL serves them all, /health names Redis, and the log says what is wrong
    assert [created.status_code, replay.status_code, read.status_code] == [201, 200, 200]
    assert service.client.get("/health").json()["failed"] == ["redis"]
    assert any("REDIS_AUTH_SECRET_ARN" in line.get("reason", "") for line in captured_logs())
