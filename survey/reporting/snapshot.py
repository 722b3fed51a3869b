"""Regular measurement (A1.1): monthly report snapshots, provisional then final, e-mailed.

On the first day after a month (the job runs daily, so a missed day catches up) a provisional
snapshot of the month is stored; a final one once no survey of the month can still be answered:
the month's last closure + send delay + the longest postponement + quiet hours + expiry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from survey.channels.staff_mail import StaffMail, send_staff_mail
from survey.config import Settings
from survey.models import ReportSnapshot, Survey
from survey.reporting.fairness import fairness_report, published
from survey.reporting.kpi import contact_kpis
from survey.reporting.recipients import ORGANISATION, recipients_of
from survey.reporting.report import ReportRequest, satisfaction_report
from survey.reporting.scheduled import send_once
from survey.reporting.settling import settles_at
from survey.reporting.xlsx import WorkbookInfo, report_xlsx
from survey.reporting.xlsx_labels import N_, translate
from survey.sampling.draw import STOCKHOLM

log = logging.getLogger(__name__)
LOOKBACK_MONTHS = 3
SNAPSHOT_GROUPINGS: tuple[tuple[str, ...], ...] = ((), ("week",), ("day",), ("channel",), ("team",))
Mailer = Callable[[str, str, str, bytes, str], None]  # to, subject, body, attachment, filename


def month_range(month: str) -> tuple[date, date]:
    year, number = (int(part) for part in month.split("-"))
    start = date(year, number, 1)
    end = date(year + number // 12, number % 12 + 1, 1)
    return start, end


def month_of(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def previous_months(today: date, count: int) -> list[str]:
    months, day = [], today.replace(day=1)
    for _ in range(count):
        day = (day - timedelta(days=1)).replace(day=1)
        months.append(month_of(day))
    return months


def settled_at(session: Session, month: str) -> datetime:
    """When no survey of the month can still be answered (the final snapshot's moment), by the
    stored policies in force in the month."""
    return settles_at(session, *month_range(month))


def snapshot_data(session: Session, month: str, settings: Settings) -> dict[str, Any]:
    """The month's reports, KPIs and fairness units (agent rows only with agent reporting on)."""
    min_group_size = settings.min_group_size
    start, end = month_range(month)
    reports = {
        "+".join(keys) or "total": satisfaction_report(
            session, ReportRequest(start, end, keys), min_group_size=min_group_size
        )
        for keys in SNAPSHOT_GROUPINGS
    }
    kpis = contact_kpis(session, ReportRequest(start, end, ()), min_group_size=min_group_size)
    fairness = fairness_report(
        session,
        ReportRequest(start, end, ()),
        identifier_key=settings.identifier_key,
        agent_reporting=settings.agent_reporting,
    )
    return {"month": month, "reports": reports, "kpis": kpis, "fairness": published(fairness)}


def late_actor_warnings(data: dict[str, Any]) -> list[str]:
    """A warning per actor with more than 10 % of its drawn cases suppressed as too old."""
    disclosures = data["reports"]["total"].get("disclosures", {})  # none before 2026-11-30
    return [
        f"WARNING: {actor}: {c['too_old']} of {c['drawn']} drawn cases were suppressed as too old "
        "(reported late); this actor is under-represented in the figures."
        for actor, c in disclosures.get("too_old_by_actor", {}).items()
        if c["warning"]
    ]


SNAPSHOT_KINDS = {"provisional": N_("provisional"), "final": N_("final")}


def snapshot_workbook(
    snapshot: ReportSnapshot, settings: Settings, *, language: str | None = None
) -> bytes:
    """The snapshot as XLSX, in the language given (else SURVEY_DEFAULT_LANGUAGE)."""
    language = language or settings.default_language
    kind = SNAPSHOT_KINDS.get(snapshot.kind)
    info = WorkbookInfo(
        organisation=settings.organisation_name,
        min_group_size=settings.min_group_size,
        language=language,
        generated_at=snapshot.created_at,
        heading=f"{snapshot.month} ({translate(kind, language) if kind else snapshot.kind})",
    )
    return report_xlsx(list(snapshot.data["reports"].values()), info)


def take_snapshots(
    session: Session, settings: Settings, *, now: datetime, mailer: Mailer | None = None
) -> list[ReportSnapshot]:
    """Store the snapshots that are due and not yet stored; e-mail each. Commits each one."""
    today = now.astimezone(STOCKHOLM).date()
    existing = {
        (m, k)
        for m, k in session.execute(
            select(col(ReportSnapshot.month), col(ReportSnapshot.kind))
        ).all()
    }
    # No snapshots of months before the engine measured anything.
    first = session.execute(select(func.min(col(Survey.closed_month)))).scalar()
    made = []
    for month in reversed(previous_months(today, LOOKBACK_MONTHS)):
        if first is None or month < first:
            continue
        # A month that settled before the job first saw it gets only its final snapshot.
        settled = now >= settled_at(session, month)
        kinds = ["final"] if settled else ["provisional"]
        for kind in kinds:
            if (month, kind) in existing:
                continue
            snapshot = _store(session, month, kind, settings)
            if snapshot is not None:
                made.append(snapshot)
                _mail(session, settings, snapshot, mailer)
    return made


def list_snapshots(session: Session) -> list[ReportSnapshot]:
    """Every stored snapshot, the latest month first."""
    query = select(ReportSnapshot).order_by(
        col(ReportSnapshot.month).desc(), col(ReportSnapshot.kind)
    )
    return list(session.exec(query))


def get_snapshot(session: Session, snapshot_id: int) -> ReportSnapshot | None:
    return session.get(ReportSnapshot, snapshot_id)


def _store(session: Session, month: str, kind: str, settings: Settings) -> ReportSnapshot | None:
    data = snapshot_data(session, month, settings)
    snapshot = ReportSnapshot(month=month, kind=kind, data=data)
    session.add(snapshot)
    try:
        session.commit()
    except IntegrityError:
        # Another scheduler stored it first.
        session.rollback()
        return None
    return snapshot


def _mail(
    session: Session, settings: Settings, snapshot: ReportSnapshot, mailer: Mailer | None
) -> None:
    """E-mail the snapshot to the organisation's recipients (set in the admin; else
    SURVEY_REPORT_RECIPIENTS), once per snapshot and recipient."""
    recipients = recipients_of(session, ORGANISATION, settings.report_recipients)
    if not recipients:
        return
    subject = f"Customer satisfaction {snapshot.month} ({snapshot.kind})"
    total = snapshot.data["reports"]["total"]["total"]
    body = (
        f"The {snapshot.kind} satisfaction report for {snapshot.month} is attached.\n\n"
        f"Surveys sent: {total['sent']}\nResponses: {total['responses']}\n"
        + "".join(f"\n{line}" for line in late_actor_warnings(snapshot.data))
    )
    attachment = snapshot_workbook(snapshot, settings)
    filename = f"satisfaction-{snapshot.month}-{snapshot.kind}.xlsx"

    def send_to(to: str) -> Callable[[], None]:
        if mailer is not None:
            return lambda: mailer(to, subject, body, attachment, filename)
        mail = StaffMail(to, subject, body, "report", None, attachment, filename)
        return lambda: send_staff_mail(session, settings, mail, now=snapshot.created_at)

    for recipient in recipients:
        # The snapshot is stored and listed in the admin UI; a failed mail is logged there.
        send_once(
            session,
            scope=ORGANISATION,
            period=f"{snapshot.month}:{snapshot.kind}",
            to=recipient,
            send=send_to(recipient),
            now=snapshot.created_at,
        )
