"""GET /health, the one path the load balancer, ECS and the image's HEALTHCHECK ask (APP-1, APP-3, APP-6):
200 while PostgreSQL answers, even with Redis down (then `degraded`, for people, and a warning line,
for alarms); 503 while starting or without PostgreSQL. Readiness waits out STARTUP_DELAY_SECONDS
without blocking the server."""

import pytest

from payment_service.health import DEPENDENCY_DOWN, ReadinessGate
from payment_service.healthcheck import LIVENESS_PATH
from payment_service.localservers import free_port

pytestmark = pytest.mark.req("APP-1")
NO_REDIS = {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
NO_POSTGRES = {
    "DATABASE_URL": f"postgresql://nobody:pw@127.0.0.1:{free_port()}/none",
    "DB_CONNECT_TIMEOUT_SECONDS": "1",
}


def test_health_is_200_when_postgres_and_redis_answer(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok"}}


@pytest.mark.req("APP-6")
def test_a_redis_outage_keeps_the_task_in_service_and_reports_it_degraded(launch, captured_logs):
    # GIVEN a task whose PostgreSQL answers and whose Redis does not
    service = launch(**NO_REDIS)
    # WHEN the load balancer (or a person) asks the liveness path
    response = service.client.get(LIVENESS_PATH)
    # THEN the task stays in service, and the body and the log say what is missing
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "failed": ["redis"],
        "checks": {"postgres": "ok", "redis": "unavailable"},
    }
    warnings = [line for line in captured_logs() if line["message"] == DEPENDENCY_DOWN]
    assert [(line["level"], line["failed"]) for line in warnings] == [("WARNING", "redis")]


def test_without_postgres_health_is_503_naming_it(launch):
    response = launch(**NO_POSTGRES).client.get(LIVENESS_PATH)
    assert (response.status_code, response.json()["status"], response.json()["failed"]) == (
        503,
        "unavailable",
        ["postgres"],
    )


def test_during_the_startup_delay_health_says_starting_while_payments_are_served(launch, make_body, new_key):
    service = launch(STARTUP_DELAY_SECONDS="30")  # what the ECS task sets
    early = service.client.get("/health")
    assert early.status_code == 503
    assert early.json()["status"] == "starting"
    assert 25 <= int(early.headers["Retry-After"]) <= 30
    # Readiness is held back, the server is not: a request that reaches it is answered.
    created = service.client.post("/payments", json=make_body(), headers={"Idempotency-Key": new_key()})
    assert created.status_code == 201


def test_the_readiness_gate_opens_once_the_delay_has_passed():
    now = [1000.0]
    gate = ReadinessGate(30, clock=lambda: now[0])
    assert gate.remaining() == 30
    now[0] += 29.5
    assert gate.remaining() == 0.5
    now[0] += 1
    assert gate.remaining() == 0


@pytest.mark.req("APP-3")
def test_the_container_healthcheck_passes_while_postgres_answers_even_without_redis(service, launch, cli):
    # GIVEN a healthy task, one without Redis, one without PostgreSQL, and a port nobody serves
    without_redis, without_postgres = launch(**NO_REDIS), launch(**NO_POSTGRES)
    ports = (service.port, without_redis.port, without_postgres.port, free_port())
    # WHEN the image's HEALTHCHECK command runs against each
    exit_codes = [cli("healthcheck", {"UVICORN_PORT": str(port)}).returncode for port in ports]
    # THEN only a task that cannot reach PostgreSQL (or is not there) fails it
    assert exit_codes == [0, 0, 1, 1]
