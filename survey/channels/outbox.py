"""The outbox backend: keeps each rendered message in the database instead of sending it, for
development and tests (it doubles as the fake channel); `survey outbox list` and the admin's
outbox page read them back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from survey.channels.base import Message, SendResult
from survey.db import utcnow
from survey.models import OutboxMessage
from survey.store import Store


class OutboxChannel:
    def __init__(self, store: Store, name: str, now: Callable[[], datetime] = utcnow) -> None:
        self.store, self.name, self.now = store, name, now

    def send(self, message: Message) -> SendResult:
        with self.store.session() as session:
            row = store_message(session, message, now=self.now())
            session.commit()
            return SendResult.sent(f"outbox-{row.id}")

    def close(self) -> None:
        return None


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
    """The last `limit` messages, newest first (their attachments' bytes left unread)."""
    query = (
        select(OutboxMessage)
        .options(defer(OutboxMessage.attachment))  # type: ignore[arg-type]
        .order_by(col(OutboxMessage.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def get_message(session: Session, message_id: int) -> OutboxMessage | None:
    return session.get(OutboxMessage, message_id)


def public_view(row: OutboxMessage) -> dict[str, Any]:
    """The fields of `survey outbox list --format json` (a public contract)."""
    return {
        "to": row.to_address,
        "channel": row.channel,
        "subject": row.subject,
        "body": row.body,
        "link": row.link,
    }
