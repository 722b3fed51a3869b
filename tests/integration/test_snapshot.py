"""Monthly snapshots (A1.1): provisional after the month, final once settled, e-mailed once."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import select

from survey.context import Context
from survey.models import Actor, OutboxMessage, ReportSnapshot
from survey.reporting.snapshot import previous_months, settled_at, take_snapshots
from tests.factories import make_contact, make_response, make_suppressed_decision, make_survey, utc


def _seed_march(ctx: Context) -> None:
    with ctx.session() as session:
        for score in (5, 4, 4, 3, 5, 2):
            survey = make_survey(ctx, session, contact={"closed_at": utc(2026, 3, 12, 9)})
            make_response(session, survey, overall=score)


def test_provisional_on_the_first_day_then_final_when_settled(make_ctx: Any) -> None:
    ctx: Context = make_ctx(report_recipients=["quality@example.se"])
    _seed_march(ctx)
    sent: list[tuple[str, str, bytes]] = []

    def mailer(to: str, subject: str, body: str, data: bytes, name: str) -> None:
        sent.append((to, subject, data))

    first_of_april = utc(2026, 3, 31, 22, 30)  # 00:30 on 1 April in Stockholm
    with ctx.session() as session:
        made = take_snapshots(session, ctx.settings, now=first_of_april, mailer=mailer)
        assert [(s.month, s.kind) for s in made] == [("2026-03", "provisional")]
        # Running again the same day stores nothing new and sends nothing.
        assert take_snapshots(session, ctx.settings, now=first_of_april, mailer=mailer) == []
        settled = settled_at(session, "2026-03")
        assert settled > first_of_april + timedelta(days=ctx.settings.expiry_days)
        assert take_snapshots(session, ctx.settings, now=settled - timedelta(minutes=1)) == []
        final = take_snapshots(session, ctx.settings, now=settled, mailer=mailer)
        assert [(s.month, s.kind) for s in final] == [("2026-03", "final")]
        rows = session.exec(select(ReportSnapshot)).all()
    assert sorted(r.kind for r in rows) == ["final", "provisional"]
    total = rows[0].data["reports"]["total"]["total"]
    assert total["responses"] == 6
    assert total["overall"]["mean"] == sum((5, 4, 4, 3, 5, 2)) / 6
    assert set(rows[0].data["reports"]) == {"total", "week", "day", "channel", "team"}
    assert [(to, subject) for to, subject, _ in sent] == [
        ("quality@example.se", "Customer satisfaction 2026-03 (provisional)"),
        ("quality@example.se", "Customer satisfaction 2026-03 (final)"),
    ]
    assert all(data[:2] == b"PK" for _, _, data in sent)


def test_the_job_keeps_the_mail_in_the_outbox_without_smtp(make_ctx: Any, runner: Any) -> None:
    ctx: Context = make_ctx(report_recipients=["quality@example.se"])
    _seed_march(ctx)
    with ctx.session() as session:
        take_snapshots(session, ctx.settings, now=utc(2026, 4, 2, 8))
        message = session.exec(select(OutboxMessage)).one()
    assert message.kind == "report" and message.to_address == "quality@example.se"
    assert message.attachment_name == "satisfaction-2026-03-provisional.xlsx"
    assert message.attachment is not None and message.attachment[:2] == b"PK"


def test_snapshot_job_is_in_the_job_table(ctx: Context, runner: Any) -> None:
    result = runner("jobs", "run-once", "snapshot")
    assert result.exit_code == 0, result.output
    assert '"job": "snapshot"' in result.output


def test_previous_months_cross_the_year() -> None:

    assert previous_months(date(2026, 2, 1), 3) == ["2026-01", "2025-12", "2025-11"]


def test_the_mail_warns_of_an_actor_whose_drawn_cases_were_too_old(make_ctx: Any) -> None:
    ctx: Context = make_ctx(report_recipients=["quality@example.se"])
    _seed_march(ctx)
    with ctx.session() as session:
        actor = session.scalars(select(Actor)).first()
        assert actor is not None
        contact = make_contact(session, actor, closed_at=utc(2026, 3, 13, 9))
        make_suppressed_decision(session, contact, "too_old")
    bodies: list[str] = []

    def mailer(to: str, subject: str, body: str, data: bytes, name: str) -> None:
        bodies.append(body)

    with ctx.session() as session:
        take_snapshots(session, ctx.settings, now=utc(2026, 3, 31, 22, 30), mailer=mailer)
    assert len(bodies) == 1
    assert f"WARNING: {actor.name}: 1 of 2 drawn cases were suppressed as too old" in bodies[0]
