"""The sampling secret in force is recorded: a changed SURVEY_SAMPLING_SECRET refuses to start
until `survey audit rotate-secret` records it (audited), and verify knows every fingerprint."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from survey.config import ConfigError
from survey.context import Context
from survey.models import AuditLog, SamplingDecision, SamplingKey
from survey.sampling.draw import key_fingerprint
from survey.sampling.job import run_sampling
from survey.sampling.verify import period_bounds, verify_decisions
from survey.startup import start_context
from tests.factories import make_actor, make_contact

CLOSED = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
PERIOD = ("--from", "2026-03-01", "--to", "2026-04-01")
OLD, NEW = "test-sampling-secret", "the-new-sampling-secret"


def sample(ctx: Context, prefix: str, n: int = 10) -> None:
    with ctx.session() as session:
        actor = make_actor(session)
        for i in range(n):
            make_contact(
                session,
                actor,
                case_ref=f"{prefix}-{i}",
                customer_phone=f"+4670{i:07d}",
                closed_at=CLOSED + timedelta(minutes=i),
            )
    run_sampling(ctx)


def keys(ctx: Context) -> list[str]:
    with ctx.session() as session:
        return list(session.scalars(select(SamplingKey.fingerprint).order_by(SamplingKey.id)))


def test_a_secret_changed_without_rotation_refuses_to_start(
    ctx: Context, settings_overrides: dict[str, Any]
) -> None:
    with pytest.raises(ConfigError) as refused:
        start_context({**settings_overrides, "sampling_secret": NEW})
    message = str(refused.value)
    assert "survey audit rotate-secret --reason TEXT" in message
    assert "SURVEY_PREVIOUS_SAMPLING_SECRETS" in message
    assert key_fingerprint(NEW) in message and key_fingerprint(OLD) in message
    assert keys(ctx) == [key_fingerprint(OLD)]


def test_commands_refuse_a_changed_secret_but_db_upgrade_runs(
    runner: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEY_SAMPLING_SECRET", NEW)
    refused = runner("policy", "show")
    assert refused.exit_code == 1
    assert "survey audit rotate-secret --reason TEXT" in refused.output
    upgraded = runner("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "survey audit rotate-secret --reason TEXT" in upgraded.stderr


def test_rotation_needs_the_secret_in_force_among_the_previous_ones(
    runner: Callable[..., Any], ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEY_SAMPLING_SECRET", NEW)
    result = runner("audit", "rotate-secret", "--reason", "yearly")
    assert result.exit_code == 1
    assert "SURVEY_PREVIOUS_SAMPLING_SECRETS" in result.output
    assert key_fingerprint(OLD) in result.output
    assert keys(ctx) == [key_fingerprint(OLD)]


def test_rotation_needs_a_reason(
    runner: Callable[..., Any], ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEY_SAMPLING_SECRET", NEW)
    monkeypatch.setenv("SURVEY_PREVIOUS_SAMPLING_SECRETS", OLD)
    assert runner("audit", "rotate-secret").exit_code == 2  # --reason is required
    blank = runner("audit", "rotate-secret", "--reason", "  ")
    assert blank.exit_code == 1 and "reason" in blank.output
    assert keys(ctx) == [key_fingerprint(OLD)]


def test_the_same_secret_is_nothing_to_rotate(runner: Callable[..., Any], ctx: Context) -> None:
    result = runner("audit", "rotate-secret", "--reason", "check")
    assert result.exit_code == 0
    assert "nothing to do" in result.output
    assert keys(ctx) == [key_fingerprint(OLD)]


def test_a_rotation_is_recorded_and_audited_and_earlier_draws_still_verify(
    runner: Callable[..., Any],
    ctx: Context,
    settings_overrides: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sample(ctx, "BEFORE")
    monkeypatch.setenv("SURVEY_SAMPLING_SECRET", NEW)
    monkeypatch.setenv("SURVEY_PREVIOUS_SAMPLING_SECRETS", OLD)
    rotated = runner("audit", "rotate-secret", "--reason", "the key was shown to a vendor")
    assert rotated.exit_code == 0, rotated.output
    assert keys(ctx) == [key_fingerprint(OLD), key_fingerprint(NEW)]
    with ctx.session() as session:
        entry = session.scalars(
            select(AuditLog).where(col(AuditLog.action) == "sampling.secret_rotated")
        ).one()
    assert entry.who.startswith("cli:")
    assert entry.details["old_fingerprint"] == key_fingerprint(OLD)
    assert entry.details["new_fingerprint"] == key_fingerprint(NEW)
    assert entry.details["reason"] == "the key was shown to a vendor"
    after = start_context(
        {**settings_overrides, "sampling_secret": NEW, "previous_sampling_secrets": [OLD]}
    )
    try:
        sample(after, "AFTER")
    finally:
        after.store.dispose()
    with ctx.session() as session:
        used = set(session.scalars(select(SamplingDecision.key_fingerprint)))
    assert used == {key_fingerprint(OLD), key_fingerprint(NEW)}
    verified = runner("audit", "verify", *PERIOD)
    assert verified.exit_code == 0, verified.output
    assert "checked 20 decisions, 0 mismatches" in verified.output


def test_a_decision_drawn_with_a_key_never_in_force_is_a_mismatch(
    make_ctx: Callable[..., Context],
) -> None:
    recorded = make_ctx(sampling_rate="1")
    # A process that skipped the check at start, drawing with another secret.
    rogue = make_ctx(sampling_rate="1", sampling_secret="rogue", previous_sampling_secrets=[OLD])
    sample(rogue, "ROGUE", n=1)
    with recorded.session() as session:
        result = verify_decisions(
            session,
            rogue.settings,
            start=period_bounds(CLOSED.date(), CLOSED.date() + timedelta(days=1))[0],
            end=period_bounds(CLOSED.date(), CLOSED.date() + timedelta(days=1))[1],
        )
    assert result.checked == 1
    assert [m.problem for m in result.mismatches] == [
        f"key fingerprint {key_fingerprint('rogue')} was never in force"
    ]
