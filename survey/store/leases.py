"""Leases in job_lock (a singleton where the database has no advisory locks), and the
scheduler's slot: a lease where only one scheduler may run, always free where several may."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from survey.models import JobLock


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire(store: Any, name: str, holder: str, lease: timedelta, *, now: datetime) -> bool:
    """Take or renew the lease `name` for `holder`; False while another holds it unexpired."""
    with store.session() as session:
        renewed = session.execute(
            update(JobLock)
            .where(JobLock.name == name)  # type: ignore[arg-type]
            .where((JobLock.holder == holder) | (JobLock.expires_at < now))  # type: ignore[arg-type]
            .values(holder=holder, expires_at=now + lease)
        )
        if renewed.rowcount:  # type: ignore[attr-defined]
            session.commit()
            return True
        session.add(JobLock(name=name, holder=holder, expires_at=now + lease))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
        return True


def release(store: Any, name: str, holder: str) -> None:
    with store.session() as session:
        session.execute(
            delete(JobLock).where(JobLock.name == name).where(JobLock.holder == holder)  # type: ignore[arg-type]
        )
        session.commit()


class LeaseSlot:
    """The scheduler's place on a database that only one scheduler may use: a lease row, taken
    at start, renewed every `renew_seconds`, released at the end."""

    renew_seconds: int | None = 30
    refusal = "another scheduler is running on this database; only one may run on it"

    def __init__(
        self, store: Any, now: Callable[[], datetime], lease: timedelta = timedelta(seconds=90)
    ) -> None:
        self.store, self.now, self.lease, self.holder = store, now, lease, holder_id()

    def take(self) -> bool:
        return acquire(self.store, "scheduler", self.holder, self.lease, now=self.now())

    def renew(self) -> None:
        self.take()

    def release(self) -> None:
        release(self.store, "scheduler", self.holder)


class SharedSlot:
    """The scheduler's place on a database that several schedulers share: always free."""

    renew_seconds: int | None = None
    refusal = ""

    def take(self) -> bool:
        return True

    def renew(self) -> None:
        return None

    def release(self) -> None:
        return None
