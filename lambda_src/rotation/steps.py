"""The four steps of the Secrets Manager rotation contract, single-user strategy (LAM-1).

Between two steps the database always holds AWSCURRENT's password, so a failure at any step, or
the database going away before one, leaves what clients read logging in:

- createSecret stores a new password as AWSPENDING (Secrets Manager only).
- setSecret logs in with AWSCURRENT and proves the user may take AWSPENDING's password: the
  change is made inside a transaction that is rolled back.
- testSecret makes the change, logs in with AWSPENDING over TLS, and puts AWSCURRENT's password
  back, whether the login passed or not.
- finishSecret makes the change again and moves AWSCURRENT to the new version; if the label does
  not move, AWSCURRENT's password goes back.

AWSPENDING's password is in the database only inside one invocation of testSecret or finishSecret.
If the database goes away inside that window, between two statements of one session, the first
step of any re-run finds AWSPENDING's password (or AWSPREVIOUS's, after a restore) and puts
AWSCURRENT's back before it does anything else. Every step is safe to run again with the same token.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager

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
    """AWSCURRENT logs in and its user may take AWSPENDING's password (tried, then rolled back)."""
    current, pending = _current_and_pending(store, token)
    with _session_on_current(store, current, pending, database) as session:
        session.run("BEGIN")
        try:
            change_own_password(session, pending.password)
        finally:
            session.run("ROLLBACK")
    logger.info("AWSCURRENT logs in and may change its password")


@tracer.capture_method(capture_response=False)
def test_secret(store: SecretStore, token: str, database: Database) -> None:
    """AWSPENDING logs in as its user, to its database, over TLS; then AWSCURRENT's password is back."""
    current, pending = _current_and_pending(store, token)
    with _session_on_current(store, current, pending, database) as session:
        change_own_password(session, pending.password)
        try:
            _check_login(store, pending, database)
        except BaseException:
            _put_current_back(session, current, "testSecret")
            raise
        change_own_password(session, current.password)
    logger.info("AWSPENDING logs in; the database is back on AWSCURRENT's password")


@tracer.capture_method(capture_response=False)
def finish_secret(store: SecretStore, token: str, database: Database) -> None:
    """The database takes AWSPENDING's password and AWSCURRENT moves to its version (AWSPREVIOUS follows)."""
    current_version = store.version_labelled(AWSCURRENT)
    if current_version is None:
        raise RotationError(f"secret {store.secret_id} has no AWSCURRENT version")
    current, pending = _current_and_pending(store, token)
    with _session_on_current(store, current, pending, database) as session:
        change_own_password(session, pending.password)
        try:
            if not database.accepts(pending):
                raise RotationError(f"{pending.host} did not accept the new password of {pending.username}")
            store.make_current(token, current_version)
        except BaseException:
            if not _label_moved(store, token):
                _put_current_back(session, current, "finishSecret")
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


def _check_login(store: SecretStore, pending: DatabaseSecret, database: Database) -> None:
    session = database.try_login(pending)
    if session is None:
        raise RotationError(f"AWSPENDING of {store.secret_id} does not log in as {pending.username}")
    with closing(session):
        check_session(session, pending)


@contextmanager
def _session_on_current(
    store: SecretStore, current: DatabaseSecret, pending: DatabaseSecret, database: Database
) -> Iterator[pg8000.native.Connection]:
    """A session as the secret's user, with the database on AWSCURRENT's password: put back first if
    an interrupted step left AWSPENDING's, or a restore AWSPREVIOUS's."""
    session = database.try_login(current)
    if session is None:
        session = _recover_current(store, current, pending, database)
    with closing(session):
        yield session


def _recover_current(
    store: SecretStore, current: DatabaseSecret, pending: DatabaseSecret, database: Database
) -> pg8000.native.Connection:
    for label, secret in _other_known_secrets(store, current, pending):
        session = database.try_login(secret)
        if session is not None:
            change_own_password(session, current.password)
            logger.warning("the database was on another version's password; AWSCURRENT's is back", found=label)
            return session
    raise RotationError(
        f"neither AWSCURRENT, AWSPENDING nor AWSPREVIOUS of {store.secret_id} logs in as {current.username}: "
        "the password was changed outside rotation"
    )


def _other_known_secrets(
    store: SecretStore, current: DatabaseSecret, pending: DatabaseSecret
) -> Iterator[tuple[str, DatabaseSecret]]:
    """AWSPENDING (an interrupted step), then AWSPREVIOUS (a database restored to the password before)."""
    yield AWSPENDING, pending
    if store.version_labelled(AWSPREVIOUS) is not None:
        previous = store.get(AWSPREVIOUS)
        if previous.login == current.login:
            yield AWSPREVIOUS, previous


def _label_moved(store: SecretStore, token: str) -> bool:
    """Whether AWSCURRENT is on the token's version after all (a call that failed after it took effect)."""
    try:
        return store.version_labelled(AWSCURRENT) == token
    except Exception:  # unknown: keep the database on AWSPENDING's password; a re-run settles it
        logger.exception("cannot tell whether AWSCURRENT moved")
        return True


def _put_current_back(session: pg8000.native.Connection, current: DatabaseSecret, step: str) -> None:
    """The database takes AWSCURRENT's password back; the step's own failure is what the caller sees."""
    try:
        change_own_password(session, current.password)
        logger.warning(f"{step} failed; the database is back on AWSCURRENT's password")
    except Exception:
        logger.exception(f"{step} failed and AWSCURRENT's password could not be put back; a re-run puts it back")
