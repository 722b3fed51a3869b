"""Fairness signals that catch steering (SPEC section 6): each way an actor can steer who is
surveyed, used on 40 % of its cases, flags that actor's measure and not the honest actor's."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, select

from survey import create_app
from survey.accounts.api_keys import key_holder
from survey.context import Context
from survey.intake.schemas import OptOutIn
from survey.models import Actor, Case, Contact, SamplingDecision, Survey
from survey.reporting.fairness import fairness_report
from survey.reporting.report import ReportRequest
from survey.reporting.snapshot import snapshot_data
from survey.respondent.optout_api import register
from survey.sampling.postpone import cancel_do_not_survey
from tests.factories import (
    bearer,
    local_date,
    make_actor,
    make_api_key,
    make_organisation_key,
    utc,
)
from tests.integration.test_admin import _login, _user

PERIOD = ReportRequest(date(2026, 3, 1), date(2026, 4, 1))
QUERY = "from=2026-03-01&to=2026-04-01"
HONEST, DISHONEST = "in-house", "outsourced"
CASES = 200
STEERED = 80  # 40 % of the dishonest actor's cases
BASELINE = 2  # the honest actor's own few, so that no rate of the rest is exactly 0
_numbers = itertools.count(1)


def _contact(actor: Actor, agent: str, case_ref: str, closed: datetime, phone: str, **kw: Any):
    n = next(_numbers)
    return Contact(
        actor_id=actor.id,
        external_id=f"fair-{n}",
        case_ref=case_ref,
        channel="phone",
        opened_at=closed - timedelta(minutes=5),
        closed_at=closed,
        closed_local_date=local_date(closed),
        received_at=closed + timedelta(minutes=1),
        agent=agent,
        team="team-a",
        customer_phone=phone,
        customer_language="sv",
        content_hash=f"h{n}",
        **kw,
    )


def add_contacts(session: Session, contacts: list[Contact], *, new_cases: bool) -> None:
    """Store contacts (and, for new case refs, their undecided cases) in one commit."""
    session.add_all(contacts)
    if new_cases:
        session.add_all(
            Case(
                case_ref=c.case_ref,
                last_closed_at=c.closed_at,
                last_closed_local_date=c.closed_local_date,
                contact_count=1,
            )
            for c in contacts
        )
    session.commit()


def drawn_cases(session: Session, actor: Actor, agent: str) -> list[Contact]:
    """CASES cases of the actor, one customer and contact each, all drawn and scheduled."""
    start = utc(2026, 3, 2, 8)
    contacts = [
        _contact(
            actor,
            agent,
            f"{actor.name}-{i}",
            start + timedelta(hours=i),
            f"+4670{next(_numbers):07d}",
        )
        for i in range(CASES)
    ]
    session.add_all(contacts)
    session.add_all(
        Case(
            case_ref=c.case_ref,
            last_closed_at=c.closed_at,
            last_closed_local_date=c.closed_local_date,
            contact_count=1,
            decided_at=c.closed_at + timedelta(minutes=2),
        )
        for c in contacts
    )
    decisions = [
        SamplingDecision(
            case_ref=c.case_ref,
            decided_at=c.closed_at + timedelta(minutes=2),
            last_closed_at=c.closed_at,
            drawn=True,
            reason="selected",
            rate="1",
            key_fingerprint="0" * 64,
        )
        for c in contacts
    ]
    session.add_all(decisions)
    session.flush()
    session.add_all(_survey(c, d) for c, d in zip(contacts, decisions, strict=True))
    session.commit()
    return contacts


def _survey(contact: Contact, decision: SamplingDecision) -> Survey:
    day = local_date(contact.closed_at)
    iso = day.isocalendar()
    return Survey(
        case_ref=contact.case_ref,
        decision_id=decision.id,
        contact_id=contact.id,
        actor_id=contact.actor_id,
        agent=contact.agent,
        team=contact.team,
        channel=contact.channel,
        language="sv",
        send_channel="sms",
        to_address=contact.customer_phone,
        closed_at=contact.closed_at,
        closed_local_date=day,
        closed_week=f"{iso.year}-W{iso.week:02d}",
        closed_month=f"{day.year}-{day.month:02d}",
        send_at=contact.closed_at + timedelta(days=30),
        first_send_at=contact.closed_at + timedelta(days=30),
    )


def _actors(session: Session) -> dict[int | None, Actor]:
    return {a.id: a for a in session.exec(select(Actor)).all()}


def later_do_not_survey(ctx: Context, session: Session, chosen: list[Contact]) -> None:
    """A later contact marked do_not_survey on each chosen drawn case; the sampler cancels."""
    actors = _actors(session)
    add_contacts(
        session,
        [
            _contact(
                actors[c.actor_id],
                c.agent or "",
                c.case_ref,
                c.closed_at + timedelta(hours=3),
                c.customer_phone or "",
                do_not_survey=True,
                do_not_survey_reason="customer asked",
            )
            for c in chosen
        ],
        new_cases=False,
    )
    cancel_do_not_survey(session)
    session.commit()


def staff_opt_outs(ctx: Context, session: Session, chosen: list[Contact]) -> None:
    """Each chosen customer opted out through the API with its actor's key."""
    names = {a_id: actor.name for a_id, actor in _actors(session).items()}
    wanted = [(c.actor_id, c.customer_phone, c.agent, c.closed_at) for c in chosen]
    session.commit()  # the keys are made in sessions of their own
    made = {a_id: make_api_key(ctx, name) for a_id, name in names.items()}
    for actor_id, phone, agent, closed_at in wanted:
        holder = key_holder(session, made[actor_id])
        assert holder is not None
        register(
            session,
            OptOutIn(phone=phone, agent=agent),
            key=holder,
            now=closed_at + timedelta(hours=1),
            identifier_key=ctx.settings.identifier_key,
        )


def split_cases(ctx: Context, session: Session, chosen: list[Contact]) -> None:
    """The chosen customers' contacts each split off into a second case two hours later."""
    actors = _actors(session)
    add_contacts(
        session,
        [
            _contact(
                actors[c.actor_id],
                c.agent or "",
                f"{c.case_ref}-split",
                c.closed_at + timedelta(hours=2),
                c.customer_phone or "",
            )
            for c in chosen
        ],
        new_cases=True,
    )


def reused_cases(ctx: Context, session: Session, chosen: list[Contact]) -> None:
    """A new contact on each chosen case ten days after the case was decided."""
    actors = _actors(session)
    add_contacts(
        session,
        [
            _contact(
                actors[c.actor_id],
                c.agent or "",
                c.case_ref,
                c.closed_at + timedelta(days=10),
                f"+4670{next(_numbers):07d}",
            )
            for c in chosen
        ],
        new_cases=False,
    )


Method = Callable[[Context, Session, list[Contact]], None]
METHODS: dict[str, Method] = {
    "post_draw_cancel_share": later_do_not_survey,
    "staff_opt_out_share": staff_opt_outs,
    "split_case_share": split_cases,
    "reused_case_share": reused_cases,
}


def two_actors(ctx: Context, session: Session) -> tuple[list[Contact], list[Contact]]:
    honest = drawn_cases(session, make_actor(session, HONEST), "anna")
    dishonest = drawn_cases(session, make_actor(session, DISHONEST), "bo")
    return honest, dishonest


def units_by_name(report: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
    return {(u["actor"], u["agent"]): u for u in report["units"]}


@pytest.mark.parametrize("measure", list(METHODS))
def test_each_way_of_steering_flags_the_dishonest_actor_and_not_the_honest_one(
    ctx: Context, measure: str
) -> None:
    with ctx.session() as session:
        honest, dishonest = two_actors(ctx, session)
        METHODS[measure](ctx, session, dishonest[:STEERED] + honest[:BASELINE])
        report = fairness_report(
            session, PERIOD, identifier_key=ctx.settings.identifier_key, agent_reporting=True
        )
    units = units_by_name(report)
    steering, fair = units[(DISHONEST, None)], units[(HONEST, None)]
    assert measure in steering["flags"]
    assert measure not in fair["flags"]
    assert steering["measures"][measure]["num"] == STEERED
    assert fair["measures"][measure]["num"] == BASELINE
    # The honest actor's share lies far below its limits (p0 is the dishonest one's rate)...
    low, _high = fair["measures"][measure]["limits"]
    assert fair["measures"][measure]["rate"] < low
    # ...and the agents' rows carry the same signal.
    assert measure in units[(DISHONEST, "bo")]["flags"]
    assert measure not in units[(HONEST, "anna")]["flags"]


def test_a_stop_after_the_draw_is_counted_by_its_cause(ctx: Context) -> None:
    with ctx.session() as session:
        _honest, dishonest = two_actors(ctx, session)
        later_do_not_survey(ctx, session, dishonest[:STEERED])
        report = fairness_report(
            session, PERIOD, identifier_key=ctx.settings.identifier_key, agent_reporting=True
        )
    units = units_by_name(report)
    assert units[(DISHONEST, None)]["cancelled_after_draw"] == {"do_not_survey": STEERED}
    assert units[(HONEST, None)]["cancelled_after_draw"] == {}
    steering = units[(DISHONEST, None)]
    assert steering["contacts"] == CASES + STEERED and steering["cases"] == CASES
    assert steering["customers"] == CASES
    assert steering["measures"]["post_draw_cancel_share"]["den"] == CASES
    # A later do_not_survey contact is also a do_not_survey contact.
    assert "do_not_survey_share" in steering["flags"]


def test_no_surveys_sent_gives_null_rates_and_no_flags(ctx: Context) -> None:
    with ctx.session() as session:
        two_actors(ctx, session)  # every survey still scheduled: nothing sent
        report = fairness_report(
            session, PERIOD, identifier_key=ctx.settings.identifier_key, agent_reporting=True
        )
    for unit in report["units"]:
        for name in ("decline_rate", "response_rate"):
            figures = unit["measures"][name]
            assert figures == {"num": 0, "den": 0, "rate": None, "ci95": None, "limits": None}
            assert name not in unit["flags"]


def _app_with(ctx: Context, overrides: dict[str, Any]) -> Flask:
    app = create_app(overrides)
    app.extensions["survey"].engine.dispose()
    app.extensions["survey"] = ctx
    return app


def test_the_api_answers_organisation_keys_only(ctx: Context, app: Flask) -> None:
    with ctx.session() as session:
        _honest, dishonest = two_actors(ctx, session)
        split_cases(ctx, session, dishonest[:STEERED])
    client = app.test_client()
    organisation = make_organisation_key(ctx, "head-office", "reports")
    answer = client.get(f"/api/v1/reports/fairness?{QUERY}", headers=bearer(organisation))
    assert answer.status_code == 200
    body = answer.get_json()
    assert set(body) == {"from", "to", "units"} and body["from"] == "2026-03-01"
    unit = units_by_name(body)[(DISHONEST, None)]
    assert set(unit) == {
        "actor",
        "agent",
        "contacts",
        "cases",
        "customers",
        "cancelled_after_draw",
        "measures",
        "flags",
    }
    assert set(unit["measures"]["split_case_share"]) == {"num", "den", "rate", "ci95", "limits"}
    assert unit["flags"] == ["split_case_share"]
    actor_key = make_api_key(ctx, HONEST, "reports")
    refused = client.get(f"/api/v1/reports/fairness?{QUERY}", headers=bearer(actor_key))
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert "organisation key" in refused.get_json()["detail"]
    no_scope = make_organisation_key(ctx, "dpo-office", "privacy")
    lacking = client.get(f"/api/v1/reports/fairness?{QUERY}", headers=bearer(no_scope))
    assert lacking.status_code == 403 and lacking.get_json()["scope"] == "reports"
    bad = client.get("/api/v1/reports/fairness?from=2026-03-01", headers=bearer(organisation))
    assert bad.status_code == 400


def test_agent_reporting_off_leaves_no_agent_rows_anywhere(
    make_ctx: Callable[..., Context], settings_overrides: dict[str, Any]
) -> None:
    ctx = make_ctx(agent_reporting=False)
    with ctx.session() as session:
        _honest, dishonest = two_actors(ctx, session)
        split_cases(ctx, session, dishonest[:STEERED])
        snapshot = snapshot_data(session, "2026-03", ctx.settings)
    app = _app_with(ctx, {**settings_overrides, "agent_reporting": False})
    organisation = make_organisation_key(ctx, "head-office", "reports")
    body = (
        app.test_client()
        .get(f"/api/v1/reports/fairness?{QUERY}", headers=bearer(organisation))
        .get_json()
    )
    for units in (body["units"], snapshot["fairness"]["units"]):
        assert [(u["actor"], u["agent"]) for u in units] == [(HONEST, None), (DISHONEST, None)]
    assert units_by_name(snapshot["fairness"])[(DISHONEST, None)]["flags"] == ["split_case_share"]


def test_the_monthly_snapshot_keeps_the_units_with_agents_when_agent_reporting_is_on(
    ctx: Context,
) -> None:
    with ctx.session() as session:
        _honest, dishonest = two_actors(ctx, session)
        reused_cases(ctx, session, dishonest[:STEERED])
        snapshot = snapshot_data(session, "2026-03", ctx.settings)
    units = units_by_name(snapshot["fairness"])
    assert set(units) == {(HONEST, None), (HONEST, "anna"), (DISHONEST, None), (DISHONEST, "bo")}
    assert units[(DISHONEST, None)]["flags"] == ["reused_case_share"]
    assert snapshot["fairness"]["from"] == "2026-03-01"


def test_the_admin_page_shows_the_units_with_flags_and_a_funnel_plot_per_measure(
    ctx: Context, app: Flask
) -> None:
    with ctx.session() as session:
        _honest, dishonest = two_actors(ctx, session)
        split_cases(ctx, session, dishonest[:STEERED])
    client = app.test_client()
    _user(ctx, "boss@example.se", "admin")
    assert _login(client, "boss@example.se").status_code == 302
    page = client.get(f"/admin/fairness?{QUERY}&lang=en").get_data(as_text=True)
    assert "<caption>Units and their measures, 2026-03-01 to 2026-04-01" in page
    assert 'href="/admin/fairness"' in page  # in the admin's menu
    rows = re.findall(r"<tr[^>]*>\s*<th scope=\"row\">([^<]+)</th>", page)
    assert rows == [HONEST, f"{HONEST} / anna", DISHONEST, f"{DISHONEST} / bo"]
    # Only the dishonest actor's and agent's split shares are flagged: two cells, two squares.
    assert page.count('<td class="figures flag">') == 2
    flagged = '<strong>Flagged:</strong> <span>40.0 %</span> <span class="muted">(80/200)</span>'
    assert page.count(flagged) == 2
    assert page.count("<svg") == 7 and page.count("<desc>") == 7
    assert page.count('class="dot flagged"') == 2
    swedish = client.get(f"/admin/fairness?{QUERY}&lang=sv").get_data(as_text=True)
    assert "Kunder uppdelade på flera ärenden inom 24 timmar" in swedish
    assert "<strong>Flaggad:</strong>" in swedish


def test_the_fairness_report_covers_at_most_a_year(ctx: Context, client: Any) -> None:
    """It reads every contact of its period into memory: a longer period is refused."""
    key = bearer(make_organisation_key(ctx, "quality", "reports"))
    long = client.get("/api/v1/reports/fairness?from=2024-01-01&to=2025-01-03", headers=key)
    assert long.status_code == 400 and "366 days" in long.get_json()["detail"]
    year = client.get("/api/v1/reports/fairness?from=2024-01-01&to=2025-01-01", headers=key)
    assert year.status_code == 200
