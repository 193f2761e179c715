"""GET /health answers 200 only when PostgreSQL and Redis both answer; readiness waits out
STARTUP_DELAY_SECONDS; the container's HEALTHCHECK command reads it (APP-1)."""

import time

import pytest

from payment_service.localservers import free_port

pytestmark = pytest.mark.req("APP-1")


def test_health_is_200_when_postgres_and_redis_answer(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok"}}


def test_readiness_waits_for_the_startup_delay_but_the_server_answers_at_once(launch):
    started = time.monotonic()
    service = launch(STARTUP_DELAY_SECONDS="1.5")
    early = service.client.get("/health")
    assert early.status_code == 503
    assert early.json()["status"] == "starting"
    assert 0 < int(early.headers["Retry-After"]) <= 2
    time.sleep(max(0.0, 1.6 - (time.monotonic() - started)))
    assert service.client.get("/health").status_code == 200


def test_the_container_healthcheck_command_passes_only_against_a_healthy_service(service, launch, cli):
    degraded = launch(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    exit_codes = [cli("healthcheck", {"UVICORN_PORT": str(port)}).returncode
                  for port in (service.port, degraded.port, free_port())]
    assert exit_codes == [0, 1, 1]
