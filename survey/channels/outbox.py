"""The outbox backend: keeps the rendered message in the database instead of sending it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from survey.channels.base import Message, SendResult
from survey.channels.outbox_store import store_message
from survey.db import session_scope, utcnow


class OutboxChannel:
    def __init__(self, engine: Engine, name: str, now: Callable[[], datetime] = utcnow) -> None:
        self.engine, self.name, self.now = engine, name, now

    def send(self, message: Message) -> SendResult:
        with session_scope(self.engine) as session:
            row = store_message(session, message, now=self.now())
            session.commit()
            return SendResult.sent(f"outbox-{row.id}")

    def close(self) -> None:
        return None
