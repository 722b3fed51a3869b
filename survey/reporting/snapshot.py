"""Regular measurement (A1.1): monthly report snapshots, provisional then final, e-mailed.

On the first day after a month (the job runs daily, so a missed day catches up) a provisional
snapshot of the month is stored; a final one once no survey of the month can still be answered:
the month's last closure + send delay + the longest postponement + quiet hours + expiry.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from survey.config import Settings
from survey.models import OutboxMessage, ReportSnapshot, Survey
from survey.reporting.fairness import fairness_report, published
from survey.reporting.kpi import contact_kpis
from survey.reporting.report import ReportRequest, satisfaction_report
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
    if not settings.report_recipients:
        return
    send = mailer or default_mailer(session, settings)
    subject = f"Customer satisfaction {snapshot.month} ({snapshot.kind})"
    total = snapshot.data["reports"]["total"]["total"]
    body = (
        f"The {snapshot.kind} satisfaction report for {snapshot.month} is attached.\n\n"
        f"Surveys sent: {total['sent']}\nResponses: {total['responses']}\n"
        + "".join(f"\n{line}" for line in late_actor_warnings(snapshot.data))
    )
    attachment = snapshot_workbook(snapshot, settings)
    filename = f"satisfaction-{snapshot.month}-{snapshot.kind}.xlsx"
    for recipient in settings.report_recipients:
        try:
            send(recipient, subject, body, attachment, filename)
        except (OSError, smtplib.SMTPException):
            # The snapshot is stored and listed in the admin UI; the mail is a convenience.
            log.exception("could not e-mail the %s snapshot of %s", snapshot.kind, snapshot.month)


def default_mailer(session: Session, settings: Settings) -> Mailer:
    """SMTP when configured; otherwise the outbox keeps the message (without the attachment)."""
    if settings.email_backend == "smtp":
        return lambda to, subject, body, data, name: _smtp_send(
            settings, to, subject, body, data, name
        )

    def to_outbox(to: str, subject: str, body: str, data: bytes, name: str) -> None:
        session.add(
            OutboxMessage(
                kind="report",
                channel="email",
                to_address=to,
                subject=subject,
                body=f"{body}\n[attachment: {name}, {len(data)} bytes]",
            )
        )
        session.commit()

    return to_outbox


def _smtp_send(
    settings: Settings, to: str, subject: str, body: str, data: bytes, name: str
) -> None:
    from survey.channels.smtp import SmtpTarget

    target = SmtpTarget.parse(settings.smtp_url)
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = to
    email["Subject"] = subject
    email.set_content(body)
    email.add_attachment(
        data,
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=name,
    )
    context = ssl.create_default_context()
    smtp_class = smtplib.SMTP_SSL if target.implicit_tls else smtplib.SMTP
    kwargs: dict[str, Any] = {"context": context} if target.implicit_tls else {}
    with smtp_class(target.host, target.port, timeout=30, **kwargs) as smtp:
        if target.starttls:
            smtp.starttls(context=context)
        if target.username:
            smtp.login(target.username, target.password)
        smtp.send_message(email)
