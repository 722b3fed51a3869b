from __future__ import annotations

from sqlalchemy import select

from survey.accounts import actor_for_api_key, authenticate, hash_api_key
from survey.context import Context
from survey.models import ApiKey, AuditLog, User


def test_api_key_is_printed_once_and_stored_as_a_hash(runner, ctx: Context) -> None:
    assert runner("actors", "create", "outsourced").exit_code == 0
    result = runner("apikeys", "create", "--actor", "outsourced")
    assert result.exit_code == 0
    key = result.stdout.strip().splitlines()[0]
    assert key.startswith("sk_")
    with ctx.session() as session:
        stored = session.scalars(select(ApiKey)).one()
        assert stored.key_hash == hash_api_key(key) and key not in stored.key_hash
        actor = actor_for_api_key(session, key)
        assert actor is not None and actor.name == "outsourced"
        assert actor_for_api_key(session, key + "x") is None


def test_duplicate_actor_and_unknown_actor_are_clear_errors(runner, ctx) -> None:
    runner("actors", "create", "a")
    again = runner("actors", "create", "a")
    assert again.exit_code == 1 and "exists already" in again.output
    missing = runner("apikeys", "create", "--actor", "nobody")
    assert missing.exit_code == 1 and "no actor named 'nobody'" in missing.output


def test_users_get_argon2_passwords_and_roles(runner, ctx: Context) -> None:
    result = runner(
        "users",
        "create",
        "QM@Example.se",
        "--role",
        "analyst",
        "--password",
        "a long enough password",
    )
    assert result.exit_code == 0, result.output
    with ctx.session() as session:
        user = session.scalars(select(User)).one()
        assert user.email == "qm@example.se" and user.role == "analyst"
        assert user.password_hash.startswith("$argon2")
        assert authenticate(session, email="qm@example.se", password="a long enough password")
        assert authenticate(session, email="qm@example.se", password="wrong") is None
        assert authenticate(session, email="nobody@example.se", password="x") is None
        actions = session.scalars(select(AuditLog.action)).all()
    assert actions == ["user.create"]
    short = runner("users", "create", "b@example.se", "--role", "admin", "--password", "short")
    assert short.exit_code == 1 and "12 characters" in short.output


def test_jobs_run_once_refuses_an_unknown_job(runner, ctx) -> None:
    result = runner("jobs", "run-once", "send-to-my-friends")
    assert result.exit_code == 2
    assert "choose from" in result.output


def test_without_a_terminal_a_password_is_generated_and_printed_once(runner, ctx) -> None:
    result = runner("users", "create", "ops@example.se", "--role", "admin")
    assert result.exit_code == 0, result.output
    password = result.stdout.strip().splitlines()[-1].removeprefix("password: ")
    assert len(password) >= 20
    with ctx.session() as session:
        assert authenticate(session, email="ops@example.se", password=password)
