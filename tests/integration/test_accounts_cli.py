from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select

from survey.accounts import authenticate, hash_api_key, key_holder
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
        holder = key_holder(session, key)
        assert holder is not None and holder.actor_name == "outsourced"
        assert holder.scopes == {"contacts", "opt-outs"}
        assert key_holder(session, key + "x") is None


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
    assert actions == ["policy.initial", "user.create"]
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


def _key(result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[0]


def test_an_actor_key_takes_the_scopes_given_but_never_privacy(runner, ctx: Context) -> None:
    runner("actors", "create", "north")
    key = _key(runner("apikeys", "create", "--actor", "north", "--scope", "reports"))
    refused = runner("apikeys", "create", "--actor", "north", "--scope", "privacy")
    assert refused.exit_code == 1
    assert "an actor's key cannot hold the scope privacy" in refused.output
    unknown = runner("apikeys", "create", "--actor", "north", "--scope", "everything")
    assert unknown.exit_code == 2
    with ctx.session() as session:
        holder = key_holder(session, key)
        assert holder is not None and holder.scopes == {"reports"}
        assert session.scalars(select(ApiKey.scopes)).all() == ["reports"]


def test_an_organisation_key_has_a_name_scopes_and_no_actor(runner, ctx: Context) -> None:
    key = _key(
        runner(
            "apikeys",
            "create",
            "--organisation",
            "--name",
            "dpo",
            "--scope",
            "privacy",
            "--scope",
            "reports",
        )
    )
    with ctx.session() as session:
        holder = key_holder(session, key)
        assert holder is not None and holder.is_organisation
        assert (holder.owner, holder.actor_id) == ("organisation:dpo", None)
        assert holder.scopes == {"reports", "privacy"}
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "apikey.create")).one()
    assert entry.subject == "organisation:dpo" and entry.details["scopes"] == "reports privacy"
    no_scope = runner("apikeys", "create", "--organisation", "--name", "dpo")
    assert no_scope.exit_code == 1 and "--scope" in no_scope.output
    contacts = runner("apikeys", "create", "--organisation", "--name", "x", "--scope", "contacts")
    assert contacts.exit_code == 1 and "cannot hold the scope contacts" in contacts.output
    unnamed = runner("apikeys", "create", "--organisation", "--scope", "reports")
    assert unnamed.exit_code == 2 and "--name" in unnamed.output
    both = runner("apikeys", "create", "--organisation", "--actor", "a", "--name", "x")
    assert both.exit_code == 2 and "either --actor" in both.output


def test_list_shows_every_key_without_the_key_itself(runner, ctx: Context) -> None:
    runner("actors", "create", "north")
    actor_key = _key(runner("apikeys", "create", "--actor", "north"))
    org_key = _key(
        runner("apikeys", "create", "--organisation", "--name", "hq", "--scope", "reports")
    )
    actor_prefix, org_prefix = actor_key.split("_")[1], org_key.split("_")[1]
    assert runner("apikeys", "revoke", actor_prefix).exit_code == 0
    listed = runner("apikeys", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    keys = json.loads(listed.output)
    assert [(k["prefix"], k["owner"], k["scopes"]) for k in keys] == [
        (actor_prefix, "actor:north", ["contacts", "opt-outs"]),
        (org_prefix, "organisation:hq", ["reports"]),
    ]
    assert datetime.fromisoformat(keys[0]["revoked"]) >= datetime.fromisoformat(keys[0]["created"])
    assert keys[1]["revoked"] is None
    text = runner("apikeys", "list")
    lines = text.output.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{actor_prefix}  actor:north  contacts,opt-outs  created ")
    assert "revoked" in lines[0] and lines[1].endswith("active")
    for output in (listed.output, text.output):
        assert actor_key not in output and org_key not in output


def test_users_take_the_dpo_and_followup_roles(runner, ctx: Context) -> None:
    for role in ("dpo", "followup"):
        result = runner(
            "users", "create", f"{role}@example.se", "--role", role, "--password", "x" * 12
        )
        assert result.exit_code == 0, result.output
    with ctx.session() as session:
        roles = session.scalars(select(User.role).order_by(User.email)).all()
    assert roles == ["dpo", "followup"]
    wrong = runner("users", "create", "z@example.se", "--role", "owner", "--password", "x" * 12)
    assert wrong.exit_code == 2
