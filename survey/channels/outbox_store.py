"""Messages held by the outbox backend (development): store and list them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from survey.models import OutboxMessage

if TYPE_CHECKING:
    from survey.channels.base import Message


def store_message(session: Session, message: Message, *, now: datetime) -> OutboxMessage:
    """Keep one rendered message; the caller commits."""
    row = OutboxMessage(
        survey_id=message.survey_id,
        kind=message.kind,
        channel=message.channel,
        to_address=message.to,
        subject=message.subject,
        body=message.body,
        html_body=message.html_body,
        link=message.link,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def list_messages(session: Session, *, limit: int | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(col(OutboxMessage.id))
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))


def recent_messages(session: Session, *, limit: int) -> list[OutboxMessage]:
    """The last `limit` messages, newest first."""
    query = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    return list(session.exec(query))


def public_view(row: OutboxMessage) -> dict[str, Any]:
    """The fields of `survey outbox list --format json` (a public contract)."""
    return {
        "to": row.to_address,
        "channel": row.channel,
        "subject": row.subject,
        "body": row.body,
        "link": row.link,
    }
