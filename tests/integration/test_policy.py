"""The sampling policy: recorded from the environment once, then audited changes that apply going
forward; the environment never steers it afterwards."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlmodel import col

from survey.context import Context
from survey.errors import Conflict
from survey.models import AuditLog, PolicyVersion, SamplingDecision, SamplingKey
from survey.sampling.draw import is_drawn, key_fingerprint
from survey.sampling.job import run_sampling
from survey.sampling.policy import (
    PolicyNotRecorded,
    change_policy,
    effective_policy,
    policy_timeline,
)
from survey.startup import start_context
from tests.factories import make_actor, make_contact, make_survey
from tests.integration.survey_pages import token_for

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PERIOD = ("--from", "2026-03-01", "--to", "2026-04-01")


def count(ctx: Context, model: Any, *where: Any) -> int:
    with ctx.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def forget_policy(ctx: Context) -> None:
    """As a database made before the policy was recorded (or by create_all)."""
    with ctx.session() as session:
        for model in (PolicyVersion, SamplingKey, AuditLog):
            session.execute(delete(model))
        session.commit()


def test_the_first_start_records_the_environments_policy_and_key(
    make_ctx: Callable[..., Context],
) -> None:
    ctx = make_ctx(sampling_rate="0.35", send_delay_minutes=15, quiet_hours="")
    with ctx.session() as session:
        policy = effective_policy(session, T0)
        entry = session.scalars(select(AuditLog)).one()
        key = session.scalars(select(SamplingKey)).one()
    assert (policy.rate, policy.send_delay_minutes, policy.quiet_hours) == ("0.35", 15, "")
    assert policy.frequency_cap_days == 30 and policy.max_postpone_hours == 72
    assert entry.action == "policy.initial" and entry.who == "system"
    assert entry.details["values"]["rate"] == "0.35"
    assert entry.details["key_fingerprint"] == key_fingerprint("test-sampling-secret")
    assert key.fingerprint == key_fingerprint("test-sampling-secret")


def test_without_a_recorded_policy_nothing_is_decided(ctx: Context) -> None:
    forget_policy(ctx)
    with ctx.session() as session, pytest.raises(PolicyNotRecorded, match="survey db upgrade"):
        policy_timeline(session)


def test_a_change_is_in_force_from_its_moment_and_is_audited(ctx: Context) -> None:
    with ctx.session() as session:
        change_policy(session, key="rate", value="0.5", who="admin@x", reason="pilot", now=T0)
        before = effective_policy(session, T0 - timedelta(seconds=1))
        after = effective_policy(session, T0)
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
        policy = effective_policy(session, T0 + timedelta(days=1))
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
    with ctx.session() as session, pytest.raises(Conflict):
        change_policy(session, key=key, value=value, who="a", reason=None, now=T0)
    assert count(ctx, PolicyVersion) == 1  # the initial version alone
    assert count(ctx, AuditLog) == 1


def test_setting_the_value_in_force_records_nothing(ctx: Context) -> None:
    with ctx.session() as session:
        change_policy(session, key="rate", value="0.3", who="a", reason=None, now=T0)
        with pytest.raises(Conflict, match=r"already 0\.3"):
            change_policy(session, key="rate", value="0.30", who="a", reason=None, now=T0)
    assert count(ctx, PolicyVersion) == 2  # the initial version and the one change
    assert count(ctx, AuditLog) == 2


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


def test_a_rate_changed_in_the_environment_changes_no_draw_and_is_named_at_start(
    ctx: Context, settings_overrides: dict[str, Any], runner: Callable[..., Any], monkeypatch: Any
) -> None:
    """The issue's attack: SURVEY_SAMPLING_RATE raised after the policy was recorded."""
    refs = [f"ENV-{i}" for i in range(60)]
    with ctx.session() as session:
        actor = make_actor(session)
        for i, ref in enumerate(refs):
            make_contact(
                session,
                actor,
                case_ref=ref,
                customer_phone=f"+4670{i:07d}",
                closed_at=T0 + timedelta(minutes=i),
            )
    warnings: list[str] = []
    raised = start_context({**settings_overrides, "sampling_rate": "0.9"}, warn=warnings.append)
    try:
        run_sampling(raised)
    finally:
        raised.store.dispose()
    assert len(warnings) == 1
    assert "SURVEY_SAMPLING_RATE=0.9" in warnings[0] and "rate 0.2" in warnings[0]
    assert "survey policy set rate 0.9 --reason TEXT" in warnings[0]
    with ctx.session() as session:
        rows = session.execute(select(SamplingDecision.case_ref, SamplingDecision.drawn)).all()
        rates = set(session.scalars(select(SamplingDecision.rate)))
    assert rates == {"0.2"}
    assert dict(rows) == {ref: is_drawn("test-sampling-secret", ref, "0.2") for ref in refs}
    assert count(ctx, PolicyVersion) == 1
    monkeypatch.setenv("SURVEY_SAMPLING_RATE", "0.9")
    result = runner("audit", "verify", *PERIOD)
    assert result.exit_code == 0, result.output
    assert f"checked {len(refs)} decisions, 0 mismatches" in result.stdout
    assert result.stderr.count("SURVEY_SAMPLING_RATE=0.9") == 1


def test_the_web_app_logs_a_differing_environment_value_at_start(
    ctx: Context, settings_overrides: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    from survey import create_app

    with caplog.at_level(logging.WARNING, logger="survey.startup"):
        app = create_app({**settings_overrides, "max_postpone_hours": 1})
    app.extensions["survey"].store.dispose()
    assert app.extensions["survey"].started_policy().max_postpone_hours == 72
    [record] = [r for r in caplog.records if r.name == "survey.startup"]
    assert "SURVEY_MAX_POSTPONE_HOURS=1" in record.getMessage()
    assert "survey policy set max_postpone_hours 1 --reason TEXT" in record.getMessage()


def test_the_survey_page_expires_by_the_stored_policy_not_the_environment(
    ctx: Context, settings_overrides: dict[str, Any]
) -> None:
    from survey import create_app

    app = create_app({**settings_overrides, "expiry_days": 1})  # stored: 7
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    with ctx.session() as session:
        survey = make_survey(ctx, session, delivery_status="sent", sent_at=three_days_ago)
    try:
        page = app.test_client().get(f"/s/{token_for(ctx, survey)}")
    finally:
        app.extensions["survey"].store.dispose()
    assert page.status_code == 200  # open: sent 3 days ago, within the stored 7 days


def test_a_month_settles_by_the_stored_policies_in_force_in_it(
    make_ctx: Callable[..., Context],
) -> None:
    from survey.reporting.snapshot import settled_at

    ctx = make_ctx()
    with ctx.session() as session:
        before = settled_at(session, "2026-03")
    longer = make_ctx(expiry_days=30)  # the environment alone changes nothing
    with longer.session() as session:
        assert settled_at(session, "2026-03") == before
        change_policy(
            session, key="expiry_days", value="30", who="a", reason=None, now=T0 + timedelta(days=5)
        )
        assert settled_at(session, "2026-03") == before + timedelta(days=23)
        assert settled_at(session, "2026-02") < before - timedelta(days=27)


def test_db_upgrade_records_the_initial_policy_once(
    ctx: Context, runner: Callable[..., Any]
) -> None:
    forget_policy(ctx)
    first = runner("db", "upgrade")
    second = runner("db", "upgrade")
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "initial sampling policy and sampling key recorded" in first.stdout
    assert "recorded" not in second.stdout
    assert count(ctx, PolicyVersion) == 1 and count(ctx, SamplingKey) == 1
    with ctx.session() as session:
        entry = session.scalars(select(AuditLog)).one()
    assert entry.action == "policy.initial" and entry.who.startswith("cli:")


def test_processes_starting_at_once_record_the_initial_policy_once(
    ctx: Context, settings_overrides: dict[str, Any]
) -> None:
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    forget_policy(ctx)
    barrier = Barrier(4)

    def start(_: int) -> None:
        barrier.wait()
        started = start_context(settings_overrides)
        started.store.dispose()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(start, range(4)))
    assert count(ctx, PolicyVersion) == 1 and count(ctx, SamplingKey) == 1
    assert count(ctx, AuditLog, col(AuditLog.action) == "policy.initial") == 1


def test_cli_shows_and_sets_the_policy(runner: Callable[..., Any], ctx: Context) -> None:
    shown = runner("policy", "show")
    assert shown.exit_code == 0
    assert "rate 0.2" in shown.output.splitlines()
    changed = runner("policy", "set", "send_delay_minutes", "120", "--reason", "later")
    assert changed.exit_code == 0, changed.output
    assert "send_delay_minutes 120" in runner("policy", "show").output.splitlines()
    with ctx.session() as session:
        entry = session.scalars(
            select(AuditLog).where(col(AuditLog.action) == "policy.change")
        ).one()
    assert entry.who.startswith("cli:") and entry.details["new"] == 120
    assert entry.details["old"] == 60 and entry.details["reason"] == "later"


def test_cli_refuses_an_invalid_value(runner: Callable[..., Any]) -> None:
    result = runner("policy", "set", "rate", "2")
    assert result.exit_code != 0
    assert "rate" in result.output
