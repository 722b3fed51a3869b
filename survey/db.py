"""The constraint naming convention, the clock, and the unit-of-work session scope.

The engine, and the column types whose form depends on the database, live in survey.store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import MetaData
from sqlmodel import Session, SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


@contextmanager
def session_scope(session: Session) -> Iterator[Session]:
    """The session of one unit of work (a job run, a CLI command), closed after; the caller
    commits, and what an error leaves uncommitted is rolled back."""
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
