"""A rotation that fails at each of its four steps, then runs again (LAM-1, QA-3).

Secrets Manager retries a failed rotation with the same token: from createSecret (a new attempt)
or the failed step alone (Lambda retrying the invocation). Both must complete from whatever the
failure left behind.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from lambda_src.rotation import steps
from lambda_src.rotation.database import DatabaseUnreachable
from lambda_src.rotation.handler import secrets_manager
from lambda_src.rotation.secret_store import AWSPENDING, RotationError
from tests.lambdas.conftest import ROTATION_STEPS, DatabaseUser, Rotation, failing_call

pytestmark = [pytest.mark.req("LAM-1"), pytest.mark.req("QA-3")]

RERUNS = ["from-createSecret", "from-the-failed-step"]


def steps_until(step: str) -> tuple[str, ...]:
    return ROTATION_STEPS[: ROTATION_STEPS.index(step)]


@dataclass
class RotationInProgress:
    """A rotation of a new database user whose steps before `step` (the one the test breaks) have run."""

    rotation: Rotation
    logs_in: Callable[[dict], bool]
    user: DatabaseUser
    step: str
    token: str
    before: dict  # AWSCURRENT's value before the rotation started

    def invoke(self, step: str) -> None:
        self.rotation.invoke(self.user.secret_id, self.token, step)

    def run(self, steps: tuple[str, ...]) -> None:
        self.rotation.run(self.user.secret_id, self.token, steps)

    def current(self) -> dict:
        return self.rotation.value(self.user.secret_id, "AWSCURRENT")

    def pending(self) -> dict:
        return self.rotation.value(self.user.secret_id, AWSPENDING, self.token)

    def only_awscurrent_logs_in(self) -> bool:
        """The database holds AWSCURRENT's password from before the rotation, not AWSPENDING's."""
        return self.logs_in(self.before) and not self.logs_in(self.pending())

    def assert_completes_on_the_new_password(self, steps: tuple[str, ...]) -> None:
        self.run(steps)
        after = self.current()
        assert "AWSCURRENT" in self.rotation.labels(self.user.secret_id)[self.token]
        assert after["password"] != self.before["password"]
        assert self.logs_in(after) and not self.logs_in(self.before)

    def assert_rerun_completes(self, rerun: str) -> None:
        """Secrets Manager's retry after `step` failed: from createSecret, or from the failed step."""
        first = "createSecret" if rerun == "from-createSecret" else self.step
        self.assert_completes_on_the_new_password(ROTATION_STEPS[ROTATION_STEPS.index(first) :])


@pytest.fixture
def rotation_until(database_user, rotation, logs_in) -> Callable[[str], RotationInProgress]:
    """rotation_until(step) -> a rotation started for a new database user, run up to `step`."""

    def start(step: str) -> RotationInProgress:
        user = database_user()
        before = rotation.value(user.secret_id, "AWSCURRENT")
        progress = RotationInProgress(rotation, logs_in, user, step, rotation.start(user.secret_id), before)
        progress.run(steps_until(step))
        return progress

    return start


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


@pytest.mark.parametrize("rerun", RERUNS)
def test_createSecret_failing_to_store_the_password_leaves_awscurrent_working(rerun, rotation_until):
    # GIVEN a rotation whose createSecret cannot reach Secrets Manager to store the new version
    attempt = rotation_until("createSecret")
    with (
        failing_call(secrets_manager(), "PutSecretValue") as failed,
        pytest.raises(Exception, match="Could not connect"),
    ):
        attempt.invoke("createSecret")
    assert failed
    # THEN AWSCURRENT still logs in and AWSPENDING has no value yet
    assert attempt.logs_in(attempt.before)
    assert attempt.current() == attempt.before
    with pytest.raises(attempt.rotation.secrets.exceptions.ResourceNotFoundException):
        attempt.pending()
    # AND a re-run completes
    attempt.assert_rerun_completes(rerun)


@pytest.mark.parametrize("rerun", RERUNS)
@pytest.mark.parametrize("step", ["setSecret", "testSecret", "finishSecret"])
def test_a_step_finding_the_database_stopped_leaves_awscurrent_working(step, rerun, rotation_until, postgres):
    # GIVEN a rotation whose `step` finds the database stopped, after the steps before it succeeded
    attempt = rotation_until(step)
    with database_stopped(postgres), pytest.raises(DatabaseUnreachable):
        attempt.invoke(step)
    # THEN once the database is back, AWSCURRENT did not move and logs in, and AWSPENDING does not
    assert attempt.current() == attempt.before
    assert attempt.only_awscurrent_logs_in()
    # AND a re-run completes
    attempt.assert_rerun_completes(rerun)


@pytest.mark.parametrize("rerun", RERUNS)
def test_testSecret_failing_after_the_password_changed_puts_awscurrent_back(rerun, rotation_until, monkeypatch):
    # GIVEN a rotation whose testSecret changes the password, then finds the new login wrong
    attempt = rotation_until("testSecret")
    with monkeypatch.context() as patched:
        patched.setattr(steps, "check_session", refuse_session)
        with pytest.raises(RotationError, match="made up by the test"):
            attempt.invoke("testSecret")
    # THEN AWSCURRENT logs in again and AWSPENDING does not: the database took AWSCURRENT's password back
    assert attempt.only_awscurrent_logs_in()
    # AND a re-run completes
    attempt.assert_rerun_completes(rerun)


@pytest.mark.parametrize("step", ROTATION_STEPS[1:])
def test_a_step_interrupted_while_the_database_held_the_new_password_is_put_right_by_the_next_one(
    step, rotation_until, postgres
):
    # GIVEN a database left on AWSPENDING's password, as when it goes away between testSecret's (or
    # finishSecret's) change and its put-back
    attempt = rotation_until(step)
    postgres.set_password(attempt.user.username, attempt.pending()["password"])
    assert not attempt.logs_in(attempt.before)
    # WHEN the rotation runs again from that step THEN it completes on the new password
    attempt.assert_rerun_completes("from-the-failed-step")


def test_between_steps_the_database_holds_awscurrents_password(rotation_until):
    # GIVEN a rotation WHEN each step but the last has run THEN AWSCURRENT logs in and AWSPENDING does not
    attempt = rotation_until("createSecret")
    for step in ROTATION_STEPS[:-1]:
        attempt.invoke(step)
        assert attempt.only_awscurrent_logs_in(), step


@pytest.mark.parametrize("rerun", RERUNS)
def test_finishSecret_failing_to_move_the_label_puts_the_database_back_on_awscurrent(rerun, rotation_until):
    # GIVEN a rotation whose finishSecret cannot reach Secrets Manager to move AWSCURRENT
    attempt = rotation_until("finishSecret")
    with failing_call(secrets_manager(), "UpdateSecretVersionStage") as failed:
        with pytest.raises(Exception, match="Could not connect"):
            attempt.invoke("finishSecret")
    assert failed
    # THEN AWSCURRENT is unchanged and logs in again: the database took its password back
    assert attempt.current() == attempt.before
    assert attempt.only_awscurrent_logs_in()
    # AND a re-run completes (finishSecret alone sets the new password again before moving the label)
    attempt.assert_rerun_completes(rerun)
