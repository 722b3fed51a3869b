"""What both stores share: sessions that carry their store, and statements of one form."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Update, select, text, union_all
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from survey.db import session_scope


class StoreSessions:
    """Sessions for one engine, each carrying the store that made it (see store_of)."""

    engine: Engine

    def session(self) -> Any:
        """A session for one unit of work (a job run, a CLI command); the caller commits."""
        return session_scope(self.new_session())

    def new_session(self) -> Session:
        return Session(self.engine, expire_on_commit=False, info={"store": self})

    def autocommit(self, session: Session) -> None:
        """Run the session's statements each in its own transaction (a page's single reads
        and writes: no BEGIN, COMMIT or ROLLBACK round trips), unless one has begun."""
        if not session.in_transaction():
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})

    def dispose(self) -> None:
        self.engine.dispose()

    def reachable(self) -> bool:
        """Whether the database answers a trivial query now."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True


class Composed:
    """Statements a store builds from a use case's, once per statement (SQLAlchemy then caches
    each one's compiled form)."""

    def __init__(self) -> None:
        self._built: dict[tuple[int, ...], Any] = {}

    def get(self, key: tuple[Any, ...], build: Any) -> Any:
        ident = tuple(id(part) for part in key)
        if ident not in self._built:
            self._built[ident] = (key, build())  # the key's parts kept alive with it
        return self._built[ident][1]


def view_after_update(opened: Update, view: Select[Any]) -> Select[Any]:
    """One statement: `opened` (an UPDATE of the row `view` reads) and the row as it is after."""
    columns = list(view.selected_columns)
    table: Any = columns[0].table
    changed = opened.returning(*columns).cte("changed")
    unchanged = view.where(~select(changed.c[table.c.id.name]).exists())
    return select(union_all(select(*changed.c), unchanged).subquery())
