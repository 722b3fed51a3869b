"""Scheduled reports (issue 18, point 6): each actor's settled weeks to its recipients with that
actor's answered figures only, the organisation's months to its recipients, each once per
period and recipient, the workbook attached (and kept by the outbox)."""

from __future__ import annotations

import io
from typing import Any

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlmodel import col, select

from survey.context import Context
from survey.models import AuditLog, OutboxMessage, ReportDelivery
from survey.reporting.recipients import actor_scope, add_report_recipient
from survey.reporting.scheduled import send_actor_reports
from survey.reporting.snapshot import take_snapshots
from survey.reporting.xlsx_labels import column_label
from tests.factories import make_actor, make_response, make_survey, utc
from tests.integration.admin_users import log_in_as
from tests.integration.survey_pages import fetch_csrf

SCORES = {"north": (5, 5, 4, 5, 4, 5), "south": (1, 2, 2, 1, 3, 2)}
AFTER_SETTLING = utc(2026, 4, 10, 12)  # weeks 11-13 have settled, week 14 has not


def _seed(ctx: Context) -> dict[str, int]:
    """Six answers per actor in ISO week 11 of 2026 (9-15 March)."""
    ids = {}
    with ctx.session() as session:
        for name, scores in SCORES.items():
            actor = make_actor(session, name)
            assert actor.id is not None
            ids[name] = actor.id
            for day, score in enumerate(scores):
                closed = utc(2026, 3, 9 + day % 5, 9)
                survey = make_survey(ctx, session, actor=actor, contact={"closed_at": closed})
                make_response(session, survey, overall=score)
    return ids


def _reports(ctx: Context) -> list[OutboxMessage]:
    with ctx.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "report")
        return list(session.exec(query.order_by(col(OutboxMessage.id))))


def _sheet_rows(data: bytes, sheet: str) -> list[dict[str, Any]]:
    rows = list(load_workbook(io.BytesIO(data))[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def test_an_actor_gets_its_settled_weeks_with_its_own_figures_only_once(ctx: Context) -> None:
    _seed(ctx)
    with ctx.session() as session:
        add_report_recipient(session, actor_name="north", email="lead@north.example", who="t")
        assert send_actor_reports(session, ctx.settings, now=AFTER_SETTLING) == 3
        # Another pass, or another scheduler, sends nothing again.
        assert send_actor_reports(session, ctx.settings, now=AFTER_SETTLING) == 0
    mails = _reports(ctx)
    assert [m.to_address for m in mails] == ["lead@north.example"] * 3
    assert [m.subject for m in mails] == [
        f"Kundnöjdhet vecka 2026-W{week}: north" for week in (11, 12, 13)
    ]
    week_11 = mails[0]
    assert week_11.attachment_name == "satisfaction-north-2026-W11.xlsx"
    assert week_11.attachment is not None
    [total] = _sheet_rows(week_11.attachment, "total")
    north = SCORES["north"]
    assert total["responses"] == len(north)
    assert total["overall_mean"] == sum(north) / len(north)
    assert "sent" not in total and "declined" not in total  # nothing of the stages before
    teams = _sheet_rows(week_11.attachment, "team")
    assert teams[-1]["team"] == "total" and teams[-1]["responses"] == len(north)
    # A week without answers goes too, with no scores.
    [empty] = _sheet_rows(mails[1].attachment or b"", "total")
    assert empty["responses"] == "suppressed"


def test_a_week_claimed_by_another_scheduler_is_not_sent_again(ctx: Context) -> None:
    ids = _seed(ctx)
    with ctx.session() as session:
        add_report_recipient(session, actor_name="north", email="lead@north.example", who="t")
        session.add(
            ReportDelivery(
                scope=actor_scope(ids["north"]), period="2026-W11", email="lead@north.example"
            )
        )
        session.commit()
        assert send_actor_reports(session, ctx.settings, now=AFTER_SETTLING) == 2
    assert "2026-W11" not in " ".join(m.subject or "" for m in _reports(ctx))


def test_no_report_before_the_week_settles_and_none_without_recipients(ctx: Context) -> None:
    _seed(ctx)
    with ctx.session() as session:
        assert send_actor_reports(session, ctx.settings, now=AFTER_SETTLING) == 0
        add_report_recipient(session, actor_name="south", email="lead@south.example", who="t")
        assert send_actor_reports(session, ctx.settings, now=utc(2026, 3, 20, 12)) == 0
    assert _reports(ctx) == []


def test_the_organisation_report_goes_to_the_recipients_set_in_the_admin(make_ctx: Any) -> None:
    ctx: Context = make_ctx(report_recipients=["fallback@example.se"])
    _seed(ctx)
    with ctx.session() as session:
        add_report_recipient(session, actor_name=None, email="quality@example.se", who="t")
        made = take_snapshots(session, ctx.settings, now=utc(2026, 4, 1, 8))
        assert [(s.month, s.kind) for s in made] == [("2026-03", "provisional")]
    [mail] = _reports(ctx)
    assert mail.to_address == "quality@example.se"
    assert mail.attachment_name == "satisfaction-2026-03-provisional.xlsx"
    assert mail.attachment is not None and mail.attachment[:2] == b"PK"
    # The organisation's workbook (survey.reporting.xlsx): a title sheet, then the total's.
    book = load_workbook(io.BytesIO(mail.attachment))
    rows = list(book.worksheets[1].iter_rows(values_only=True))
    total = dict(zip(rows[0], rows[-1], strict=True))
    assert total[column_label("responses", "sv")] == 12  # both actors: the organisation's


def test_admins_set_recipients_and_download_what_the_outbox_kept(
    ctx: Context, client: FlaskClient, app: Any
) -> None:
    _seed(ctx)
    log_in_as(ctx, client, "admin")
    csrf = fetch_csrf(client, "/admin/recipients")
    added = client.post(
        "/admin/recipients",
        data={
            "action": "add_report",
            "actor": "north",
            "email": "lead@north.example",
            "csrf_token": csrf,
        },
    )
    assert added.status_code == 303
    wrong = client.post(
        "/admin/recipients",
        data={"action": "add_report", "actor": "", "email": "not-an-address", "csrf_token": csrf},
    )
    assert wrong.status_code == 400 and "email: not an e-mail address" in wrong.get_data(
        as_text=True
    )
    lead = client.post(
        "/admin/recipients",
        data={
            "action": "set_followup",
            "actor": "south",
            "team": "team-a",
            "email": "lead@south.example",
            "csrf_token": csrf,
        },
    )
    assert lead.status_code == 303
    with ctx.session() as session:
        actions = session.exec(
            select(AuditLog.action).where(col(AuditLog.action).contains("recipient"))
        ).all()
        assert sorted(actions) == ["followup.recipient_set", "report.recipient_add"]
        send_actor_reports(session, ctx.settings, now=AFTER_SETTLING)
    mail = _reports(ctx)[0]
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "satisfaction-north-2026-W11.xlsx" in page
    download = client.get(f"/admin/outbox/{mail.id}/attachment")
    assert download.status_code == 200 and download.data == mail.attachment
    analyst = log_in_as(ctx, app.test_client(), "analyst")
    assert analyst.get("/admin/recipients").status_code == 403
    assert analyst.get(f"/admin/outbox/{mail.id}/attachment").status_code == 403


def test_the_reports_job_is_in_the_job_table(ctx: Context, runner: Any) -> None:
    result = runner("jobs", "run-once", "reports")
    assert result.exit_code == 0, result.output
    assert '"job": "reports"' in result.output
