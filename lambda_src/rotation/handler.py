"""Lambda entry point: Secrets Manager invokes it once per step with
{"SecretId": ..., "ClientRequestToken": ..., "Step": "createSecret" | "setSecret" | "testSecret" | "finishSecret"}.

Environment: DB_SSL_ROOT_CERT (CA bundle that verifies the database's certificate; default the
RDS bundle packaged with the function), DB_CONNECT_TIMEOUT_SECONDS (default 5). The Secrets Manager endpoint is the SDK's usual one (the
VPC interface endpoint's private DNS name inside the VPC).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from .database import Database, DatabaseSettings
from .observability import logger, tracer
from .secret_store import RotationError, SecretStore
from .steps import create_secret, finish_secret, set_secret, test_secret

STEPS: dict[str, Callable[[SecretStore, str, Database], None]] = {
    "createSecret": create_secret,
    "setSecret": set_secret,
    "testSecret": test_secret,
    "finishSecret": finish_secret,
}


@functools.cache
def secrets_manager() -> Any:
    """One client per execution environment; throttling and 5xx answers are retried with backoff."""
    return boto3.client(
        "secretsmanager",
        config=Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=10),
    )


def _request(event: dict[str, Any]) -> tuple[str, str, str]:
    try:
        secret_id, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    except (KeyError, TypeError):
        raise RotationError("the event must carry SecretId, ClientRequestToken and Step") from None
    if step not in STEPS:
        raise RotationError(f"unknown step {step!r}; Secrets Manager sends {', '.join(STEPS)}")
    return secret_id, token, step


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    secret_id, token, step = _request(event)
    logger.append_keys(secret_id=secret_id, version_id=token, step=step)
    store = SecretStore(secrets_manager(), secret_id)
    try:
        if store.is_current(token):
            logger.info("the version is AWSCURRENT already; nothing to do")
            return
        STEPS[step](store, token, Database(DatabaseSettings.from_env()))
    except Exception:
        logger.exception("rotation step failed; AWSCURRENT is unchanged")
        raise
