"""Leases in job_lock: a singleton where the database has no advisory locks (SQLite)."""

from __future__ import annotations

import os
import socket
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
