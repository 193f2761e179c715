"""A rotation that fails at each of its four steps, then runs again (LAM-1, QA-3).

Secrets Manager retries a failed rotation with the same token: from createSecret (a new attempt)
or the failed step alone (Lambda retrying the invocation). Both must complete from whatever the
failure left behind.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from lambda_src.rotation import steps
from lambda_src.rotation.database import DatabaseUnreachable
from lambda_src.rotation.handler import secrets_manager
from lambda_src.rotation.secret_store import AWSPENDING, RotationError
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


def refuse_session(session, secret) -> None:
    raise RotationError("the new login is not what it should be (made up by the test)")


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
def test_testSecret_with_the_database_stopped_leaves_awscurrent_working(
    rerun, database_user, rotation, logs_in, postgres
):
    # GIVEN a rotation whose testSecret finds the database stopped, after setSecret succeeded
    user = database_user()
    before = rotation.value(user.secret_id, "AWSCURRENT")
    token = rotation.start(user.secret_id)
    rotation.run(user.secret_id, token, steps_until("testSecret"))
    with database_stopped(postgres), pytest.raises(DatabaseUnreachable):
        rotation.invoke(user.secret_id, token, "testSecret")
    # THEN once the database is back, AWSCURRENT logs in: setSecret left the database on its password
    assert rotation.value(user.secret_id, "AWSCURRENT") == before
    assert logs_in(before) and not logs_in(rotation.value(user.secret_id, AWSPENDING, token))
    # AND a re-run completes
    assert_rerun_completes(rotation, logs_in, user, token, rerun_steps(rerun, "testSecret"), before)


@pytest.mark.parametrize("rerun", RERUNS)
def test_testSecret_failing_after_the_password_changed_puts_awscurrent_back(
    rerun, database_user, rotation, logs_in, monkeypatch
):
    # GIVEN a rotation whose testSecret changes the password, then finds the new login wrong
    user = database_user()
    before = rotation.value(user.secret_id, "AWSCURRENT")
    token = rotation.start(user.secret_id)
    rotation.run(user.secret_id, token, steps_until("testSecret"))
    with monkeypatch.context() as patched:
        patched.setattr(steps, "check_session", refuse_session)
        with pytest.raises(RotationError, match="made up by the test"):
            rotation.invoke(user.secret_id, token, "testSecret")
    # THEN AWSCURRENT logs in again and AWSPENDING does not: the database took AWSCURRENT's password back
    assert logs_in(before) and not logs_in(rotation.value(user.secret_id, AWSPENDING, token))
    # AND a re-run completes
    assert_rerun_completes(rotation, logs_in, user, token, rerun_steps(rerun, "testSecret"), before)


@pytest.mark.parametrize("rerun", RERUNS)
def test_finishSecret_with_the_database_stopped_leaves_awscurrent_working(
    rerun, database_user, rotation, logs_in, postgres
):
    # GIVEN a rotation whose finishSecret finds the database stopped, after testSecret passed
    user = database_user()
    before = rotation.value(user.secret_id, "AWSCURRENT")
    token = rotation.start(user.secret_id)
    rotation.run(user.secret_id, token, steps_until("finishSecret"))
    with database_stopped(postgres), pytest.raises(DatabaseUnreachable):
        rotation.invoke(user.secret_id, token, "finishSecret")
    # THEN AWSCURRENT did not move and still logs in
    assert rotation.value(user.secret_id, "AWSCURRENT") == before
    assert logs_in(before) and not logs_in(rotation.value(user.secret_id, AWSPENDING, token))
    # AND a re-run completes
    assert_rerun_completes(rotation, logs_in, user, token, rerun_steps(rerun, "finishSecret"), before)


@pytest.mark.parametrize("step", ROTATION_STEPS[1:])
def test_a_step_interrupted_while_the_database_held_the_new_password_is_put_right_by_the_next_one(
    step, database_user, rotation, logs_in, postgres
):
    # GIVEN a database left on AWSPENDING's password, as when it goes away between testSecret's (or
    # finishSecret's) change and its put-back
    user = database_user()
    before = rotation.value(user.secret_id, "AWSCURRENT")
    token = rotation.start(user.secret_id)
    rotation.run(user.secret_id, token, steps_until(step))
    postgres.set_password(user.username, rotation.value(user.secret_id, AWSPENDING, token)["password"])
    assert not logs_in(before)
    # WHEN the rotation runs again from that step
    rotation.run(user.secret_id, token, ROTATION_STEPS[ROTATION_STEPS.index(step) :])
    # THEN it completes on the new password
    after = rotation.value(user.secret_id, "AWSCURRENT")
    assert "AWSCURRENT" in rotation.labels(user.secret_id)[token]
    assert logs_in(after) and not logs_in(before)


def test_between_steps_the_database_holds_awscurrents_password(database_user, rotation, logs_in):
    # GIVEN a rotation WHEN each step but the last has run THEN AWSCURRENT logs in and AWSPENDING does not
    user = database_user()
    before = rotation.value(user.secret_id, "AWSCURRENT")
    token = rotation.start(user.secret_id)
    for step in ROTATION_STEPS[:-1]:
        rotation.invoke(user.secret_id, token, step)
        assert logs_in(before), step
        assert not logs_in(rotation.value(user.secret_id, AWSPENDING, token)), step


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
