"""GET /health answers 200 only when PostgreSQL and Redis both answer; readiness waits out
STARTUP_DELAY_SECONDS without blocking the server; the container's HEALTHCHECK command reads it (APP-1)."""

import pytest

from payment_service.health import ReadinessGate
from payment_service.localservers import free_port

pytestmark = pytest.mark.req("APP-1")


def test_health_is_200_when_postgres_and_redis_answer(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok"}}


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


def test_the_container_healthcheck_command_passes_only_against_a_healthy_service(service, launch, cli):
    degraded = launch(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    exit_codes = [
        cli("healthcheck", {"UVICORN_PORT": str(port)}).returncode
        for port in (service.port, degraded.port, free_port())
    ]
    assert exit_codes == [0, 1, 1]
