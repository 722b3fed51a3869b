"""SQLite's engine: WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for writers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, create_engine
from sqlalchemy.pool import NullPool


def make_engine(url: str, **kwargs: Any) -> Engine:
    """WAL, foreign keys and a busy timeout; a connection per use (NullPool)."""
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=NullPool,
        **kwargs,
    )
    event.listen(engine, "connect", _pragmas)
    event.listen(engine, "begin", _begin)
    return engine


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when a transaction begins (see _begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# The execution option of a connection whose transaction only reads (SqliteStore.read_only).
READS_ONLY = "survey_reads_only"


def _begin(connection: Any) -> None:
    options = connection.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return  # each statement is its own transaction (a page's read, or its one UPDATE)
    if options.get(READS_ONLY):
        # A reader (a report): a deferred BEGIN reads one snapshot of the WAL and holds no
        # lock, so that the survey pages' writes never wait for a report to end.
        connection.exec_driver_sql("BEGIN")
        return
    # IMMEDIATE takes the write lock at the start, so concurrent writers queue instead of
    # failing halfway with "database is locked" when they upgrade from a read.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
