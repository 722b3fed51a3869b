"""Bilaga 2 contact-stream KPIs against an independent computation (plain Python, numpy)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlmodel import select

from survey.context import Context
from survey.models import Actor, Case, Contact
from survey.reporting.kpi import contact_kpis
from survey.reporting.report import ReportRequest
from tests.factories import make_actor, make_contact, make_response, make_survey, utc

STOCKHOLM = ZoneInfo("Europe/Stockholm")
START, END = date(2026, 3, 20), date(2026, 4, 12)


def _seed(ctx: Context) -> None:
    rng = random.Random(3)
    with ctx.session() as session:
        actors = [make_actor(session, name) for name in ("inhouse", "outsourced")]
        for case_no in range(70):
            first = utc(2026, 3, 16) + timedelta(minutes=rng.randrange(0, 60 * 24 * 30))
            for n in range(rng.choice([1, 1, 1, 2, 3])):
                closed = first + timedelta(hours=rng.randrange(0, 80), minutes=n)
                make_contact(
                    session,
                    rng.choice(actors),
                    case_ref=f"K-{case_no}",
                    closed_at=closed,
                    opened_at=None if rng.random() < 0.1 else first - timedelta(minutes=9),
                    team=rng.choice(["team-a", "team-b", None]),
                    agent=rng.choice(["agent-1", "agent-2", "agent-3"]),
                    channel=rng.choice(["phone", "chat"]),
                    complaint=rng.random() < 0.2,
                    do_not_survey=rng.random() < 0.1,
                )
        for i in range(12):
            survey = make_survey(
                ctx,
                session,
                actor=actors[0],
                contact={
                    "closed_at": utc(2026, 3, 25, 10, i),
                    "team": "team-a",
                    "channel": "phone",
                },
            )
            make_response(session, survey, overall=4, fcr="yes" if i % 3 else "no")


def _label(moment: Any, key: str) -> str:
    day = moment.astimezone(STOCKHOLM).date()
    if key == "day":
        return day.isoformat()
    if key == "week":
        return f"{day.isocalendar().year}-W{day.isocalendar().week:02d}"
    return f"{day.year}-{day.month:02d}"


def _expected(ctx: Context, group_by: list[str]) -> dict[tuple[Any, ...], dict[str, Any]]:
    with ctx.session() as session:
        actors = {a.id: a.name for a in session.exec(select(Actor))}
        contacts = list(session.exec(select(Contact)))
        cases = {c.case_ref: c for c in session.exec(select(Case))}

    def key_of(contact: Contact, moment: Any) -> tuple[Any, ...]:
        values = {
            "channel": contact.channel,
            "actor": actors[contact.actor_id],
            "team": contact.team,
            "agent": contact.agent,
            "case_type": contact.case_type,
            "language": contact.customer_language,
        }
        return tuple(
            _label(moment, k) if k in ("day", "week", "month") else values[k] for k in group_by
        )

    def inside(moment: Any) -> bool:
        return START <= moment.astimezone(STOCKHOLM).date() < END

    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for contact in contacts:
        if inside(contact.closed_at):
            g = groups.setdefault(key_of(contact, contact.closed_at), {"contacts": [], "hours": []})
            g["contacts"].append(contact)
    for case in cases.values():
        if not inside(case.last_closed_at) or case.first_opened_at is None:
            continue
        last = min(
            (
                c
                for c in contacts
                if c.case_ref == case.case_ref and c.closed_at == case.last_closed_at
            ),
            key=lambda c: c.id or 0,
        )
        g = groups.setdefault(key_of(last, case.last_closed_at), {"contacts": [], "hours": []})
        g["hours"].append((case.last_closed_at - case.first_opened_at).total_seconds() / 3600)
    return groups


@pytest.mark.parametrize(
    "group_by",
    [[], ["day"], ["week"], ["month"], ["team"], ["actor", "week"], ["agent", "channel"]],
)
def test_contact_kpis_match_an_independent_computation(ctx: Context, group_by: list[str]) -> None:
    _seed(ctx)
    with ctx.session() as session:
        report = contact_kpis(session, ReportRequest(START, END, tuple(group_by)), min_group_size=5)
    expected = _expected(ctx, group_by)
    got = (
        {tuple(g["key"].values()): g for g in report["groups"]}
        if group_by
        else {(): report["total"]}
    )
    for key, want in expected.items():
        figures = got[key]
        contacts = want["contacts"]
        cases = {c.case_ref for c in contacts}
        assert figures["contacts"] == len(contacts), key
        assert figures["cases"] == len(cases), key
        if contacts:
            assert figures["repeat_contact_ratio"] == pytest.approx(
                (len(contacts) - len(cases)) / len(contacts)
            )
            assert figures["complaint_share"] == pytest.approx(
                sum(c.complaint for c in contacts) / len(contacts)
            )
        assert figures["do_not_survey"] == sum(c.do_not_survey for c in contacts)
        hours = want["hours"]
        times = figures["resolution_time_hours"]
        assert times["n"] == len(hours), key
        if hours:
            assert times["median"] == pytest.approx(float(np.percentile(hours, 50)), rel=1e-6)
            assert times["p90"] == pytest.approx(float(np.percentile(hours, 90)), rel=1e-6)
    total_contacts = sum(len(w["contacts"]) for w in expected.values())
    assert report["total"]["contacts"] == total_contacts > 50
    assert report["total"]["fcr"]["n"] == 12
    assert report["total"]["fcr"]["share"] == pytest.approx(8 / 12)


def test_cli_prints_the_kpis_as_json(ctx: Context, runner: Any) -> None:
    import json

    _seed(ctx)
    result = runner(
        "report",
        "--from",
        START.isoformat(),
        "--to",
        END.isoformat(),
        "--group-by",
        "team",
        "--kpi",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["group_by"] == ["team"]
    assert data["total"]["contacts"] == sum(g["contacts"] for g in data["groups"]) > 50
    assert (
        runner(
            "report", "--from", "2026-03-01", "--to", "2026-04-01", "--kpi", "--format", "csv"
        ).exit_code
        != 0
    )
