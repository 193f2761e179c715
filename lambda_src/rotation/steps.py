"""The four steps of the Secrets Manager rotation contract, single-user strategy.

Every step is safe to run again with the same token: it first looks at what an earlier run left
and only does what is missing. A failure leaves AWSCURRENT as it was, and the database on
AWSCURRENT's password, except in one window this strategy cannot close: once setSecret has changed
the password, the database holds AWSPENDING's until finishSecret moves AWSCURRENT to it. If the
database becomes unreachable inside that window, AWSPENDING is what logs in until a re-run
(Secrets Manager retries the rotation) completes; the alternating-users strategy avoids the
window at the price of a second user.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

import pg8000.native

from .database import Database, change_own_password, check_session
from .observability import logger, tracer
from .secret_store import AWSCURRENT, AWSPENDING, AWSPREVIOUS, DatabaseSecret, RotationError, SecretStore


@tracer.capture_method(capture_response=False)
def create_secret(store: SecretStore, token: str, database: Database) -> None:
    """AWSPENDING gets AWSCURRENT's fields with a new random password, unless it has a value already."""
    current = store.get(AWSCURRENT)
    if store.has_value(AWSPENDING, token):
        logger.info("AWSPENDING has a value already; keeping it")
        return
    store.put_pending(token, current.with_password(store.random_password()))
    logger.info("stored a new password as AWSPENDING")


@tracer.capture_method(capture_response=False)
def set_secret(store: SecretStore, token: str, database: Database) -> None:
    """The database takes AWSPENDING's password, changed by the user itself."""
    current, pending = _current_and_pending(store, token)
    _apply_pending(store, current, pending, database)


@tracer.capture_method(capture_response=False)
def test_secret(store: SecretStore, token: str, database: Database) -> None:
    """AWSPENDING logs in as its user, to its database, over TLS."""
    pending = store.get(AWSPENDING, token)
    session = database.try_login(pending)
    if session is None:
        raise RotationError(f"AWSPENDING of {store.secret_id} does not log in as {pending.username}")
    with closing(session):
        check_session(session, pending)
    logger.info("AWSPENDING logs in")


@tracer.capture_method(capture_response=False)
def finish_secret(store: SecretStore, token: str, database: Database) -> None:
    """AWSCURRENT moves to the token's version (AWSPREVIOUS follows the old one)."""
    current_version = store.version_labelled(AWSCURRENT)
    if current_version is None:
        raise RotationError(f"secret {store.secret_id} has no AWSCURRENT version")
    current, pending = _current_and_pending(store, token)
    # A finishSecret retried after a failed one finds the database put back on AWSCURRENT.
    _apply_pending(store, current, pending, database)
    try:
        store.make_current(token, current_version)
    except Exception:
        _put_current_back(store, token, current, pending, database)
        raise
    logger.info("AWSCURRENT moved to the new version")


def _current_and_pending(store: SecretStore, token: str) -> tuple[DatabaseSecret, DatabaseSecret]:
    current, pending = store.get(AWSCURRENT), store.get(AWSPENDING, token)
    if pending.login != current.login:
        raise RotationError(
            f"AWSPENDING of {store.secret_id} names another host, port, database or user than AWSCURRENT; "
            "single-user rotation changes the password only"
        )
    return current, pending


def _apply_pending(store: SecretStore, current: DatabaseSecret, pending: DatabaseSecret, database: Database) -> None:
    if database.accepts(pending):
        logger.info("the database accepts AWSPENDING already")
        return
    session, known = _session_with_a_known_password(store, current, database)
    with closing(session):
        change_own_password(session, pending.password)
        if not database.accepts(pending):
            change_own_password(session, known.password)
            raise RotationError(f"{pending.host} did not accept the new password of {pending.username}; put back")
    logger.info("the database took AWSPENDING's password")


def _session_with_a_known_password(
    store: SecretStore, current: DatabaseSecret, database: Database
) -> tuple[pg8000.native.Connection, DatabaseSecret]:
    for secret in _known_secrets(store, current):
        session = database.try_login(secret)
        if session is not None:
            return session, secret
    raise RotationError(
        f"neither AWSCURRENT nor AWSPREVIOUS of {store.secret_id} logs in as {current.username}: "
        "the password was changed outside rotation"
    )


def _known_secrets(store: SecretStore, current: DatabaseSecret) -> Iterator[DatabaseSecret]:
    """AWSCURRENT, then AWSPREVIOUS (a database restored to the password before) if it is the same login."""
    yield current
    if store.version_labelled(AWSPREVIOUS) is not None:
        previous = store.get(AWSPREVIOUS)
        if previous.login == current.login:
            yield previous


def _put_current_back(
    store: SecretStore, token: str, current: DatabaseSecret, pending: DatabaseSecret, database: Database
) -> None:
    """After a failed label move, the database takes AWSCURRENT's password back, so that what clients
    read keeps logging in; never when the label may have moved after all."""
    try:
        if store.version_labelled(AWSCURRENT) == token:
            return
        session = database.try_login(pending)
        if session is None:
            return
        with closing(session):
            change_own_password(session, current.password)
        logger.warning("finishSecret failed; the database is back on AWSCURRENT's password")
    except Exception:  # the original failure is what the caller must see
        logger.exception("finishSecret failed and the database stays on AWSPENDING's password until a re-run")
