"""The sampling policy: environment values, audited changes that apply going forward."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from survey.context import Context
from survey.errors import Conflict
from survey.models import AuditLog, PolicyVersion, SamplingDecision
from survey.sampling.job import run_sampling
from survey.sampling.policy import change_policy, effective_policy
from tests.factories import make_actor, make_contact

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_without_changes_the_policy_is_the_environments(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(sampling_rate="0.35", send_delay_minutes=15, quiet_hours="")
    with ctx.session() as session:
        policy = effective_policy(session, ctx.settings, T0)
    assert (policy.rate, policy.send_delay_minutes, policy.quiet_hours) == ("0.35", 15, "")
    assert policy.frequency_cap_days == 30 and policy.max_postpone_hours == 72


def test_a_change_is_in_force_from_its_moment_and_is_audited(ctx: Context) -> None:
    with ctx.session() as session:
        change_policy(
            session,
            key="rate",
            value="0.5",
            who="admin@x",
            reason="pilot",
            now=T0,
            settings=ctx.settings,
        )
        before = effective_policy(session, ctx.settings, T0 - timedelta(seconds=1))
        after = effective_policy(session, ctx.settings, T0)
        entry = session.scalars(
            select(AuditLog).where(col(AuditLog.action) == "policy.change")
        ).one()
    assert (before.rate, after.rate) == ("0.2", "0.5")
    assert entry.who == "admin@x" and entry.subject == "rate"
    assert entry.details["old"] == "0.2" and entry.details["new"] == "0.5"
    assert entry.details["reason"] == "pilot"


def test_changes_accumulate(ctx: Context) -> None:
    with ctx.session() as session:
        change_policy(session, key="rate", value="0.5", who="a", reason=None, now=T0)
        change_policy(
            session,
            key="quiet_hours",
            value="21:00-08:00",
            who="a",
            reason=None,
            now=T0 + timedelta(hours=1),
        )
        policy = effective_policy(session, ctx.settings, T0 + timedelta(days=1))
    assert (policy.rate, policy.quiet_hours) == ("0.5", "21:00-08:00")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("rate", "1.5"),
        ("rate", "x"),
        ("expiry_days", "0"),
        ("send_delay_minutes", "-1"),
        ("quiet_hours", "25:00-09:00"),
        ("secret", "x"),
    ],
)
def test_an_invalid_change_is_refused_and_nothing_is_written(
    ctx: Context, key: str, value: Any
) -> None:
    with ctx.session() as session:
        with pytest.raises(Conflict):
            change_policy(session, key=key, value=value, who="a", reason=None, now=T0)
        assert session.scalar(select(func.count()).select_from(PolicyVersion)) == 0
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_a_rate_change_applies_to_cases_closed_after_it(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(sampling_rate="0")
    with ctx.session() as session:
        change_policy(session, key="rate", value="1", who="a", reason="all in", now=T0)
        actor = make_actor(session)
        make_contact(session, actor, case_ref="BEFORE", closed_at=T0 - timedelta(minutes=1))
        make_contact(session, actor, case_ref="AFTER", closed_at=T0 + timedelta(minutes=1))
    run_sampling(ctx)
    with ctx.session() as session:
        rows = session.execute(
            select(SamplingDecision.case_ref, SamplingDecision.rate, SamplingDecision.reason)
        )
        found = {ref: (rate, reason) for ref, rate, reason in rows}
    assert found == {"BEFORE": ("0", "not_drawn"), "AFTER": ("1", "selected")}


def test_cli_shows_and_sets_the_policy(runner: Callable[..., Any], ctx: Context) -> None:
    shown = runner("policy", "show")
    assert shown.exit_code == 0
    assert "rate 0.2" in shown.output.splitlines()
    changed = runner("policy", "set", "send_delay_minutes", "120", "--reason", "later")
    assert changed.exit_code == 0, changed.output
    assert "send_delay_minutes 120" in runner("policy", "show").output.splitlines()
    with ctx.session() as session:
        entry = session.scalars(select(AuditLog)).one()
    assert entry.who.startswith("cli:") and entry.details["new"] == 120
    assert entry.details["old"] == 60 and entry.details["reason"] == "later"


def test_cli_refuses_an_invalid_value(runner: Callable[..., Any]) -> None:
    result = runner("policy", "set", "rate", "2")
    assert result.exit_code != 0
    assert "rate" in result.output
