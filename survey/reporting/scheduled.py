"""Scheduled reports by e-mail with the workbook attached (issue 18, point 6): weekly to each
actor's recipients, that actor's own answered figures of each settled ISO week; monthly to the
organisation's with the snapshots (survey.reporting.snapshot).

Each report goes once per period and recipient: a unique report_delivery row is claimed (and
committed) before the mail goes, so that no scheduler sends it twice; a failed send is recorded
on that row and not repeated (staff can download the report in the admin instead).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from survey.channels.staff_mail import StaffMail, render_staff_text, send_staff_mail
from survey.config import Settings
from survey.context import Context
from survey.models import Actor, ReportDelivery, Survey
from survey.reporting.actor_workbook import actor_workbook
from survey.reporting.recipients import actor_scope, recipients_of
from survey.reporting.report import ReportRequest, satisfaction_report
from survey.reporting.settling import as_seen_by_an_actor, settles_at
from survey.sampling.draw import STOCKHOLM

log = logging.getLogger(__name__)
LOOKBACK_WEEKS = 4  # a scheduler stopped for up to this long still sends every week after
ACTOR_GROUPINGS: tuple[tuple[str, ...], ...] = ((), ("team",))


def send_once(
    session: Session,
    *,
    scope: str,
    period: str,
    to: str,
    send: Callable[[], None],
    now: datetime,
) -> bool:
    """Claim (scope, period, to), then send; False when it was claimed before or the send
    failed (recorded on the claim, not repeated)."""
    claim = ReportDelivery(scope=scope, period=period, email=to, claimed_at=now)
    session.add(claim)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    try:
        send()
        claim.sent_at = now
    except (OSError, smtplib.SMTPException) as exc:
        session.rollback()
        log.exception("could not e-mail the %s report of %s", scope, period)
        claim.error = type(exc).__name__
    session.add(claim)
    session.commit()
    return claim.sent_at is not None


def run_actor_reports(ctx: Context) -> dict[str, Any]:
    with ctx.session() as session:
        sent = send_actor_reports(session, ctx.settings, now=ctx.now())
    return {"sent": sent}


def send_actor_reports(session: Session, settings: Settings, *, now: datetime) -> int:
    """Each actor's settled weeks of the last LOOKBACK_WEEKS, to its recipients; the mails sent."""
    sent = 0
    for actor in session.exec(select(Actor).order_by(col(Actor.id))).all():
        assert actor.id is not None
        recipients = recipients_of(session, actor_scope(actor.id))
        first = session.scalar(
            select(func.min(col(Survey.closed_local_date))).where(col(Survey.actor_id) == actor.id)
        )
        if not recipients or first is None:
            continue
        for monday in _settled_weeks(session, now):
            if monday + timedelta(days=7) <= first:
                continue
            sent += _send_week(session, settings, actor, monday, recipients, now=now)
    return sent


def _settled_weeks(session: Session, now: datetime) -> list[date]:
    today = now.astimezone(STOCKHOLM).date()
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=n) for n in range(LOOKBACK_WEEKS, 0, -1)]
    return [m for m in mondays if settles_at(session, m, m + timedelta(days=7)) <= now]


def _send_week(
    session: Session,
    settings: Settings,
    actor: Actor,
    monday: date,
    recipients: list[str],
    *,
    now: datetime,
) -> int:
    iso = monday.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    built: dict[str, StaffMail] = {}

    def send_to(to: str) -> Callable[[], None]:
        def send() -> None:
            if "mail" not in built:  # the workbook once per actor and week, only if needed
                built["mail"] = actor_report_mail(session, settings, actor, monday, week)
            send_staff_mail(session, settings, replace(built["mail"], to=to), now=now)

        return send

    assert actor.id is not None
    return sum(
        send_once(
            session,
            scope=actor_scope(actor.id),
            period=week,
            to=to,
            send=send_to(to),
            now=now,
        )
        for to in recipients
    )


def actor_report_mail(
    session: Session, settings: Settings, actor: Actor, monday: date, week: str
) -> StaffMail:
    """The actor's week: exactly what its own reports key would get for it."""
    reports = [
        as_seen_by_an_actor(
            satisfaction_report(
                session,
                ReportRequest(monday, monday + timedelta(days=7), keys, actor.id),
                min_group_size=settings.min_group_size,
            )
        )
        for keys in ACTOR_GROUPINGS
    ]
    total = reports[0]["total"]
    assert isinstance(total, dict)
    values = {
        "actor": actor.name,
        "week": week,
        "responses": None if total.get("suppressed") else total.get("responses"),
        "min_group_size": settings.min_group_size,
    }
    return StaffMail(
        to="",
        subject=render_staff_text(settings, "actor_report_subject", **values).strip(),
        body=render_staff_text(settings, "actor_report", **values),
        kind="report",
        attachment=actor_workbook(reports),
        attachment_name=f"satisfaction-{_safe(actor.name)}-{week}.xlsx",
    )


def _safe(name: str) -> str:
    """An actor's name as part of a file name."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-") or "actor"
