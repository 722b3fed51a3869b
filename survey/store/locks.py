"""Singleton jobs: PostgreSQL advisory locks; on SQLite a lease row in job_lock."""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete, text, update
from sqlalchemy.exc import IntegrityError

from survey.context import Context
from survey.models import JobLock


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def singleton(ctx: Context, name: str, lease: timedelta = timedelta(minutes=10)) -> Iterator[bool]:
    """Yield True when this process holds the lock named `name`, False when another does."""
    if ctx.dialect == "postgresql":
        with ctx.engine.connect() as connection:
            key = _advisory_key(name)
            got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            connection.commit()
            try:
                yield bool(got)
            finally:
                if got:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    connection.commit()
        return
    me = holder_id()
    got = acquire_lease(ctx, name, me, lease)
    try:
        yield got
    finally:
        if got:
            release_lease(ctx, name, me)


def acquire_lease(ctx: Context, name: str, holder: str, lease: timedelta) -> bool:
    now = ctx.now()
    with ctx.session() as session:
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


def release_lease(ctx: Context, name: str, holder: str) -> None:
    with ctx.session() as session:
        session.execute(
            delete(JobLock).where(JobLock.name == name).where(JobLock.holder == holder)  # type: ignore[arg-type]
        )
        session.commit()
