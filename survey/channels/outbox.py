"""The outbox backend: keeps the rendered message in the database instead of sending it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from survey.channels.base import Message, SendResult
from survey.channels.outbox_store import store_message
from survey.db import utcnow
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
