"""A rotation that fails at each of its four steps, then runs again (LAM-1, QA-3).

Secrets Manager retries a failed rotation with the same token: from createSecret (a new attempt)
or the failed step alone (Lambda retrying the invocation). Both must complete from whatever the
failure left behind.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from lambda_src.rotation.database import DatabaseUnreachable
from lambda_src.rotation.handler import secrets_manager
from lambda_src.rotation.secret_store import AWSPENDING
from tests.lambdas.conftest import ROTATION_STEPS, failing_call

pytestmark = [pytest.mark.req("LAM-1"), pytest.mark.req("QA-3")]

RERUNS = ["from-createSecret", "from-the-failed-step"]


def steps_until(step: str) -> tuple[str, ...]:
    return ROTATION_STEPS[: ROTATION_STEPS.index(step)]


def rerun_steps(rerun: str, failed_step: str) -> tuple[str, ...]:
    return ROTATION_STEPS if rerun == "from-createSecret" else ROTATION_STEPS[ROTATION_STEPS.index(failed_step) :]


@contextmanager
def database_stopped(postgres):
    """PostgreSQL goes away at once, as in a crash or a failover, and comes back on the same port."""
    postgres.halt("immediate")
    try:
        yield
    finally:
        postgres.resume()


def assert_rerun_completes(rotation, logs_in, user, token, steps, before):
    rotation.run(user.secret_id, token, steps)
    after = rotation.value(user.secret_id, "AWSCURRENT")
    assert "AWSCURRENT" in rotation.labels(user.secret_id)[token]
    assert after["password"] != before["password"]
    assert logs_in(after) and not logs_in(before)


@pytest.mark.parametrize("rerun", RERUNS)
def test_createSecret_failing_to_store_the_password_leaves_awscurrent_working(rerun, database_user, rotation, logs_in):
    # GIVEN a rotation whose createSecret cannot reach Secrets Manager to store the new version
    user = database_user()
    before = rotation.value(user.secret_id, "AWSCURRENT")
    token = rotation.start(user.secret_id)
    with (
        failing_call(secrets_manager(), "PutSecretValue") as failed,
        pytest.raises(Exception, match="Could not connect"),
    ):
        rotation.invoke(user.secret_id, token, "createSecret")
    assert failed
    # THEN AWSCURRENT still logs in and AWSPENDING has no value yet
    assert logs_in(before)
    assert rotation.value(user.secret_id, "AWSCURRENT") == before
    with pytest.raises(rotation.secrets.exceptions.ResourceNotFoundException):
        rotation.value(user.secret_id, AWSPENDING, token)
    # AND a re-run completes
    assert_rerun_completes(rotation, logs_in, user, token, rerun_steps(rerun, "createSecret"), before)


@pytest.mark.parametrize("rerun", RERUNS)
def test_setSecret_with_the_database_stopped_leaves_awscurrent_working(
    rerun, database_user, rotation, logs_in, postgres
):
    # GIVEN a rotation whose setSecret finds the database stopped
    user = database_user()
    before = rotation.value(user.secret_id, "AWSCURRENT")
    token = rotation.start(user.secret_id)
    rotation.run(user.secret_id, token, steps_until("setSecret"))
    with database_stopped(postgres), pytest.raises(DatabaseUnreachable):
        rotation.invoke(user.secret_id, token, "setSecret")
    # THEN once the database is back, AWSCURRENT logs in and AWSPENDING does not
    assert logs_in(before) and not logs_in(rotation.value(user.secret_id, AWSPENDING, token))
    # AND a re-run completes
    assert_rerun_completes(rotation, logs_in, user, token, rerun_steps(rerun, "setSecret"), before)


@pytest.mark.parametrize("rerun", RERUNS)
def test_testSecret_with_the_database_stopped_keeps_the_new_password_until_a_rerun(
    rerun, database_user, rotation, logs_in, postgres
):
    # GIVEN a rotation whose testSecret finds the database stopped, after setSecret changed the password
    user = database_user()
    before = rotation.value(user.secret_id, "AWSCURRENT")
    token = rotation.start(user.secret_id)
    rotation.run(user.secret_id, token, steps_until("testSecret"))
    with database_stopped(postgres), pytest.raises(DatabaseUnreachable):
        rotation.invoke(user.secret_id, token, "testSecret")
    # THEN the labels are unchanged and the database holds AWSPENDING's password: the one window the
    # single-user strategy cannot close (steps.py), until the re-run below completes
    assert rotation.value(user.secret_id, "AWSCURRENT") == before
    assert logs_in(rotation.value(user.secret_id, AWSPENDING, token)) and not logs_in(before)
    # AND a re-run completes
    assert_rerun_completes(rotation, logs_in, user, token, rerun_steps(rerun, "testSecret"), before)


@pytest.mark.parametrize("rerun", RERUNS)
def test_finishSecret_failing_to_move_the_label_puts_the_database_back_on_awscurrent(
    rerun, database_user, rotation, logs_in
):
    # GIVEN a rotation whose finishSecret cannot reach Secrets Manager to move AWSCURRENT
    user = database_user()
    before = rotation.value(user.secret_id, "AWSCURRENT")
    token = rotation.start(user.secret_id)
    rotation.run(user.secret_id, token, steps_until("finishSecret"))
    with failing_call(secrets_manager(), "UpdateSecretVersionStage") as failed:
        with pytest.raises(Exception, match="Could not connect"):
            rotation.invoke(user.secret_id, token, "finishSecret")
    assert failed
    # THEN AWSCURRENT is unchanged and logs in again: the database took its password back
    assert rotation.value(user.secret_id, "AWSCURRENT") == before
    assert logs_in(before) and not logs_in(rotation.value(user.secret_id, AWSPENDING, token))
    # AND a re-run completes (finishSecret alone sets the new password again before moving the label)
    assert_rerun_completes(rotation, logs_in, user, token, rerun_steps(rerun, "finishSecret"), before)
