"""Mail to the organisation's own staff (follow-up notices, scheduled reports): by SMTP when
configured, else kept by the outbox with its attachment. Customers' messages go through the
channels instead (their opt-out link and headers)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlmodel import Session

from survey.config import Settings
from survey.models import OutboxMessage

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Mail to staff, in the organisation's language (SURVEY_DEFAULT_LANGUAGE); customers' messages
# are beside it in templates/messages.
STAFF_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates" / "staff"


@dataclass(frozen=True)
class StaffMail:
    to: str
    subject: str
    body: str
    kind: str  # "followup" or "report": the outbox's kind
    survey_id: int | None = None  # a follow-up's survey: erasure removes the outbox copy with it
    attachment: bytes | None = None
    attachment_name: str | None = None  # an XLSX workbook


def render_staff_text(settings: Settings, name: str, **values: Any) -> str:
    """templates/staff/<language>/<name>.txt with the values."""
    return _environment().get_template(f"{settings.default_language}/{name}.txt").render(values)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(STAFF_TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )


def send_staff_mail(
    session: Session, settings: Settings, mail: StaffMail, *, now: datetime
) -> None:
    """Send the mail, or keep it in the outbox (flushed; the caller commits). SMTP failures
    raise OSError or smtplib.SMTPException."""
    if settings.email_backend == "smtp":
        _smtp_send(settings, mail)
        return
    session.add(
        OutboxMessage(
            survey_id=mail.survey_id,
            kind=mail.kind,
            channel="email",
            to_address=mail.to,
            subject=mail.subject,
            body=mail.body,
            attachment=mail.attachment,
            attachment_name=mail.attachment_name,
            created_at=now,
        )
    )
    session.flush()


def _smtp_send(settings: Settings, mail: StaffMail) -> None:
    from survey.channels.smtp import SmtpTarget

    target = SmtpTarget.parse(settings.smtp_url)
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = mail.to
    email["Subject"] = mail.subject
    email.set_content(mail.body)
    if mail.attachment is not None:
        maintype, subtype = XLSX.split("/")
        email.add_attachment(
            mail.attachment, maintype=maintype, subtype=subtype, filename=mail.attachment_name
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
