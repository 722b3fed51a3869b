"""The PostgreSQL store: a pool that pings only idle connections, sessions in UTC, advisory
locks, FOR UPDATE SKIP LOCKED claims, binary arrays and COPY (psycopg is imported only here)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from psycopg.errors import QueryCanceled
from sqlalchemy import (
    ColumnElement,
    Dialect,
    Row,
    Select,
    String,
    Table,
    Update,
    event,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Engine, create_engine
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session

from survey.store import common, leases
from survey.store.base import Claim
from survey.store.postgresql import driver, intake, periods, sampling

# A pooled connection that has lain idle longer than this is pinged before use (the server may
# have restarted, or a firewall dropped it); one in steady use is trusted, saving a round trip
# per request. A disconnect found mid-request still invalidates the whole pool.
PING_AFTER_IDLE_SECONDS = 10.0
# Replace connections after an hour, whatever idle limit lies between us and the server.
RECYCLE_SECONDS = 3600
_POLICY_LOCK = 0x706F6C696379  # "policy": policy changes are serialised
_AUDIT_LOCK = 0x6175646974  # "audit": appends to the audit chain are serialised


class PostgresStore(common.StoreSessions):
    name = "postgresql"
    # While one worker waits for its customers' locks and writes, the other claims and reads.
    sampling_workers = 2

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.engine = make_engine(url, **engine_options)
        self._composed = common.Composed()

    @contextmanager
    def singleton(self, name: str, *, now: datetime, lease: timedelta) -> Iterator[bool]:
        """An advisory lock, held for the block by a connection of its own."""
        with self.engine.connect() as connection:
            key = _advisory_key(name)
            got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            connection.commit()
            try:
                yield bool(got)
            finally:
                if got:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    connection.commit()

    def scheduler_slot(self, now: Callable[[], datetime]) -> leases.SharedSlot:
        """Several schedulers share the database: claims skip locked rows, singletons lock."""
        return leases.SharedSlot(self, now)

    def among(
        self, session: Session, column: Any, values: Iterable[Any], item_type: Any = String
    ) -> Iterator[ColumnElement[bool]]:
        """`column IN values` as one condition with one array parameter."""
        wanted = list(values)
        if wanted:
            yield driver.among(session, column, wanted, item_type)

    def insert_rows(
        self,
        session: Session,
        table: Table,
        rows: Sequence[dict[str, Any]],
        *,
        conflict: str | None = None,
        returning: tuple[str, ...] = (),
    ) -> list[Row[Any]]:
        return driver.insert_rows(session, table, rows, conflict, returning)

    def skip_locked(self, query: Claim) -> Claim:
        return query.with_for_update(skip_locked=True)

    def locked(self, query: Claim) -> Claim:
        return query.with_for_update()

    def lock_policy(self, session: Session) -> None:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _POLICY_LOCK})

    def lock_audit(self, session: Session) -> None:
        """Audit entries are appended one transaction at a time: the chain has one head."""
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _AUDIT_LOCK})

    def limit_statement_time(self, session: Session, seconds: float) -> None:
        """statement_timeout for the rest of the transaction (set_config(..., true))."""
        session.execute(
            text("SELECT set_config('statement_timeout', :ms, true)"),
            {"ms": str(max(1, int(seconds * 1000)))},
        )

    def is_statement_timeout(self, error: BaseException) -> bool:
        return isinstance(getattr(error, "orig", None), QueryCanceled)

    def read_only(self, session: Session) -> None:
        return None  # a reader takes no lock that a writer waits for (MVCC)

    def add_contacts(
        self, session: Session, rows: list[dict[str, Any]], *, now: datetime
    ) -> set[tuple[int, str]]:
        return intake.add_contacts(session, rows, now=now)

    def claim_cases(
        self, session: Session, limit: int, now: datetime
    ) -> list[tuple[str, datetime]]:
        return sampling.claim_cases(session, limit, now)

    def case_contacts(self, session: Session, refs: list[str], columns: Sequence[str]) -> list[Any]:
        return sampling.case_contacts(session, refs, columns)

    def lock_customers(self, session: Session, hashes: set[str]) -> None:
        sampling.lock_customers(session, hashes)

    def write_decisions(
        self,
        session: Session,
        decisions: list[sampling.Decision],
        surveys: list[dict[str, Any]],
        identifiers: list[dict[str, Any]],
    ) -> None:
        sampling.write_decisions(session, decisions, surveys, identifiers)

    def view_and_open(
        self,
        session: Session,
        opened: Update,
        view: Select[Any],
        params: dict[str, Any],
        may_open: Callable[[Any], bool],
    ) -> Any:
        """One statement: the conditional opening and the row as it is after (`may_open`, the
        use case's quick check, saves nothing here: the round trip is the cost)."""
        statement = self._composed.get(
            (opened, view), lambda: common.view_after_update(opened, view)
        )
        return session.connection().execute(statement, params).first()

    def answer(
        self,
        session: Session,
        answered: Update,
        response: Table,
        values: dict[str, Any],
        params: dict[str, Any],
    ) -> bool:
        """One statement, so in autocommit one round trip: the conditional update and, only if
        it changed the survey, the response. False when the survey was not open."""
        statement = self._composed.get(
            (answered, response, values), lambda: _answer_statement(answered, response, values)
        )
        self.autocommit(session)
        return session.connection().execute(statement, params).first() is not None

    def seconds_between(self, later: Any, earlier: Any) -> ColumnElement[Any]:
        return func.extract("epoch", later - earlier)

    def period_label(self, day: Any, key: str) -> ColumnElement[str]:
        return periods.period_label(day, key)

    def percentiles(
        self, session: Session, query: Any, names: list[str], fractions: Sequence[float]
    ) -> dict[tuple[Any, ...], tuple[int, list[float | None]]]:
        """Per group of `names`: the count of `seconds` and percentile_cont at each fraction."""
        inner = query.subquery()
        seconds, group = inner.c.seconds, [inner.c[n] for n in names]
        rows = session.execute(
            select(
                *group,
                func.count(seconds),
                *(func.percentile_cont(p).within_group(seconds) for p in fractions),
            ).group_by(*group)
        )
        width = len(names)
        return {
            tuple(row[:width]): (int(row[width]), [_float(v) for v in row[width + 1 :]])
            for row in rows
        }


def _answer_statement(answered: Update, response: Table, values: dict[str, Any]) -> Any:
    changed = answered.returning(answered.table.c.id).cte("answered")  # type: ignore[attr-defined]
    return (
        insert(response)
        .from_select(["survey_id", *values], select(changed.c.id, *values.values()))
        .returning(response.c.id)
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """A pool that checks a connection only after it has lain idle (not a ping per checkout)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs.setdefault("pool_recycle", RECYCLE_SECONDS)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _utc_session)
    event.listen(engine, "checkin", _mark_idle)
    event.listen(engine, "checkout", _ping_if_idle(engine.dialect))
    return engine


def _utc_session(dbapi_connection: Any, _record: Any) -> None:
    """Sessions in UTC: psycopg then reads timestamps with datetime.UTC itself, which
    UTCDateTime passes through, instead of a ZoneInfo that each value is converted from.
    No SQL here depends on the session's zone (local dates are computed in Python)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


def _mark_idle(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dialect: Dialect) -> Callable[[Any, Any, Any], None]:
    """pool_pre_ping, but only for a connection idle for a while (see PING_AFTER_IDLE_SECONDS)."""

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
            dbapi_connection.rollback()  # end the transaction the ping may have begun
        except dialect.loaded_dbapi.Error as exc:
            # The pool discards this connection and checks out a fresh one.
            raise DisconnectionError(f"stale connection: {exc}") from exc

    return checkout
