"""Leases in job_lock (a singleton where the database has no advisory locks), and the
scheduler's slot: one lease where only one scheduler may run, one lease per scheduler where
several may. Renewed every 30 s, the slot is also the scheduler's heartbeat."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

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


SLOT = "scheduler"
SLOT_LEASE = timedelta(seconds=90)
SLOT_RENEW_SECONDS = 30


class LeaseSlot:
    """The scheduler's place on a database that only one scheduler may use: a lease row, taken
    at start, renewed every `renew_seconds`, released at the end."""

    renew_seconds: int | None = SLOT_RENEW_SECONDS
    refusal = "another scheduler is running on this database; only one may run on it"

    def __init__(
        self, store: Any, now: Callable[[], datetime], lease: timedelta = SLOT_LEASE
    ) -> None:
        self.store, self.now, self.lease, self.holder = store, now, lease, holder_id()
        self.name = SLOT

    def take(self) -> bool:
        return acquire(self.store, self.name, self.holder, self.lease, now=self.now())

    def renew(self) -> None:
        self.take()

    def release(self) -> None:
        release(self.store, self.name, self.holder)


class SharedSlot(LeaseSlot):
    """The scheduler's place on a database that several schedulers share: always free, a lease
    of its own (`scheduler:<host>:<pid>`) only to say that it is alive."""

    refusal = ""

    def __init__(
        self, store: Any, now: Callable[[], datetime], lease: timedelta = SLOT_LEASE
    ) -> None:
        super().__init__(store, now, lease)
        self.name = f"{SLOT}:{self.holder}"[:64]

    def take(self) -> bool:
        with self.store.session() as session:  # the slots of schedulers gone a day ago
            stale = self.now() - timedelta(days=1)
            session.execute(
                delete(JobLock)
                .where(col(JobLock.name).like(f"{SLOT}:%"))
                .where(col(JobLock.expires_at) < stale)
            )
            session.commit()
        super().take()
        return True


def scheduler_heartbeat_age(session: Session, now: datetime) -> float | None:
    """Seconds since a scheduler last renewed its slot (the newest of them); None if none has
    a slot. Beyond SLOT_LEASE the slot has lapsed: no scheduler is known to run."""
    name = col(JobLock.name)
    newest = session.scalar(
        select(func.max(col(JobLock.expires_at))).where(or_(name == SLOT, name.like(f"{SLOT}:%")))
    )
    if newest is None:
        return None
    return (now - (newest - SLOT_LEASE)).total_seconds()
