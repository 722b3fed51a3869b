"""Staff mail by SMTP: a follow-up notice and a weekly report arrive (the report with its
workbook); a server that is down leaves the notice for the next pass and records the report's
failure without sending it twice."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from survey.context import Context
from survey.followups.raising import run_follow_ups
from survey.followups.recipients import set_follow_up_recipient
from survey.models import FollowUp, OutboxMessage, ReportDelivery
from survey.reporting.recipients import add_report_recipient
from survey.reporting.scheduled import send_actor_reports
from tests.factories import make_actor, make_response, make_survey, utc
from tests.plugins.delivery import SmtpServer

LEAD = "lead@example.se"


def _smtp(make_ctx: Any, port: int) -> Context:
    ctx: Context = make_ctx(email_backend="smtp", smtp_url=f"smtp://127.0.0.1:{port}")
    return ctx


def _consented_low_score(ctx: Context, closed: Any = None) -> None:
    with ctx.session() as session:
        actor = make_actor(session, "in-house")
        contact = {"closed_at": closed} if closed else {}
        survey = make_survey(ctx, session, actor=actor, contact=contact)
        make_response(session, survey, overall=1, contact_consent=True)
        set_follow_up_recipient(session, actor_name="in-house", team="", email=LEAD, who="t")


def test_a_follow_up_notice_goes_by_smtp(make_ctx: Any, smtp_server: SmtpServer) -> None:
    ctx = _smtp(make_ctx, smtp_server.port)
    _consented_low_score(ctx)
    assert run_follow_ups(ctx) == {"raised": 1, "notified": 1}
    [mail] = smtp_server.received
    assert mail.recipients == [LEAD]
    assert "/admin/followups/" in mail.message.get_content()
    with ctx.session() as session:
        assert session.exec(select(OutboxMessage)).all() == []


def test_a_notice_the_server_refused_goes_at_the_next_pass(
    make_ctx: Any, smtp_server: SmtpServer, closed_port: int
) -> None:
    down = _smtp(make_ctx, closed_port)
    _consented_low_score(down)
    assert run_follow_ups(down) == {"raised": 1, "notified": 0}
    with down.session() as session:
        assert session.exec(select(FollowUp.notified_at)).one() is None
    up = _smtp(make_ctx, smtp_server.port)
    assert run_follow_ups(up) == {"raised": 0, "notified": 1}
    assert [m.recipients for m in smtp_server.received] == [[LEAD]]


def test_a_weekly_report_goes_by_smtp_with_its_workbook_once(
    make_ctx: Any, smtp_server: SmtpServer, closed_port: int
) -> None:
    ctx = _smtp(make_ctx, smtp_server.port)
    _consented_low_score(ctx, closed=utc(2026, 3, 10, 9))
    with ctx.session() as session:
        add_report_recipient(session, actor_name="in-house", email=LEAD, who="t")
        assert send_actor_reports(session, ctx.settings, now=utc(2026, 3, 28, 12)) == 1
        assert send_actor_reports(session, ctx.settings, now=utc(2026, 3, 28, 12)) == 0
    [mail] = smtp_server.received
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_filename() == "satisfaction-in-house-2026-W11.xlsx"
    assert attachment.get_content()[:2] == b"PK"
    down = _smtp(make_ctx, closed_port)
    with down.session() as session:
        add_report_recipient(session, actor_name="in-house", email="other@example.se", who="t")
        assert send_actor_reports(session, down.settings, now=utc(2026, 3, 28, 12)) == 0
        failed = session.exec(
            select(ReportDelivery).where(ReportDelivery.email == "other@example.se")
        ).one()
        assert failed.sent_at is None and failed.error
        assert send_actor_reports(session, down.settings, now=utc(2026, 3, 28, 12)) == 0
    assert len(smtp_server.received) == 1
