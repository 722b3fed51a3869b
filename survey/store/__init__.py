"""Every statement whose form depends on the database, behind one Store, chosen once at start.

survey/store/base.py says what a store does; sqlite/ and postgresql/ do it; common.py,
leases.py and types.py hold what both share. No module
outside this package asks which database it runs on.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from survey.store.base import DECISION_COLUMNS, Decision, Store

__all__ = ["DECISION_COLUMNS", "Decision", "Store", "open_store", "store_of"]


def open_store(url: str, **engine_options: Any) -> Store:
    """The store for a database URL: SQLite for sqlite:..., else PostgreSQL."""
    if url.startswith("sqlite"):
        from survey.store.sqlite import SqliteStore

        return SqliteStore(url, **engine_options)
    # Imported here, so that psycopg is loaded only where PostgreSQL is used.
    from survey.store.postgresql import PostgresStore

    return PostgresStore(url, **engine_options)


def store_of(session: Session) -> Store:
    """The store that made the session (every session comes from Store.session/new_session)."""
    store: Store = session.info["store"]
    return store
