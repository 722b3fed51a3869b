"""The SQLite store, the embedded default: WAL, BEGIN IMMEDIATE for writers, leases for
singletons, chunked IN lists, and a statement per step where PostgreSQL joins them."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    Table,
    Update,
    bindparam,
    cast,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from survey.models import Case, Contact, SamplingDecision, Survey, SurveyIdentifier
from survey.store import common, leases
from survey.store.base import Claim, Decision
from survey.store.sqlite import intake, periods
from survey.store.sqlite.engine import READS_ONLY, make_engine

CHUNK = 900  # under SQLite's default limit of bound variables per statement, with room


class SqliteStore(common.StoreSessions):
    name = "sqlite"
    sampling_workers = 1

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.engine = make_engine(url, **engine_options)
        self._composed = common.Composed()

    @contextmanager
    def singleton(self, name: str, *, now: datetime, lease: timedelta) -> Iterator[bool]:
        """A lease row in job_lock, held for the block."""
        me = leases.holder_id()
        got = leases.acquire(self, name, me, lease, now=now)
        try:
            yield got
        finally:
            if got:
                leases.release(self, name, me)

    def scheduler_slot(self, now: Callable[[], datetime]) -> leases.LeaseSlot:
        """One scheduler at a time: a lease (one writer at a time, and no advisory locks)."""
        return leases.LeaseSlot(self, now)

    def among(
        self, session: Session, column: Any, values: Iterable[Any], item_type: Any = String
    ) -> Iterator[ColumnElement[bool]]:
        """`column IN values`, one condition per chunk of values."""
        wanted = list(values)
        for start in range(0, len(wanted), CHUNK):
            yield column.in_(wanted[start : start + CHUNK])

    def insert_rows(
        self,
        session: Session,
        table: Table,
        rows: Sequence[dict[str, Any]],
        *,
        conflict: str | None = None,
        returning: tuple[str, ...] = (),
    ) -> list[Row[Any]]:
        """Insert rows (all with the same keys), skipping those that hit the `conflict` column."""
        if not rows:
            return []
        statement: Any = sqlite_insert(table)
        if conflict:
            statement = statement.on_conflict_do_nothing(index_elements=[conflict])
        if not returning:
            session.execute(statement, list(rows))
            return []
        statement = statement.returning(*(table.c[name] for name in returning))
        return list(session.execute(statement, list(rows)))

    def skip_locked(self, query: Claim) -> Claim:
        return query  # BEGIN IMMEDIATE: one writer at a time, nothing to skip

    def locked(self, query: Claim) -> Claim:
        return query  # BEGIN IMMEDIATE: the writer holds the whole database already

    def lock_policy(self, session: Session) -> None:
        return None  # BEGIN IMMEDIATE serialises the writers already

    def lock_audit(self, session: Session) -> None:
        return None  # BEGIN IMMEDIATE serialises the writers already

    def limit_statement_time(self, session: Session, seconds: float) -> None:
        return None  # one process, one file: nothing else to protect from a long read

    def is_statement_timeout(self, error: BaseException) -> bool:
        return False

    def read_only(self, session: Session) -> None:
        """End the session's transaction and begin the next without BEGIN IMMEDIATE, which
        would hold the write lock for the whole report (see engine._begin)."""
        if session.in_transaction():
            session.commit()
        session.connection(execution_options={READS_ONLY: True})

    def add_contacts(
        self, session: Session, rows: list[dict[str, Any]], *, now: datetime
    ) -> set[tuple[int, str]]:
        return intake.add_contacts(session, rows, now=now)

    def claim_cases(
        self, session: Session, limit: int, now: datetime
    ) -> list[tuple[str, datetime]]:
        """Mark the next undecided cases decided (in this transaction) and return them in order."""
        oldest = (
            select(col(Case.case_ref))
            .where(col(Case.decided_at).is_(None))
            .order_by(col(Case.last_closed_at), col(Case.case_ref))
            .limit(limit)
        )
        updated = session.execute(
            update(Case)
            .where(col(Case.case_ref).in_(oldest.scalar_subquery()))
            .values(decided_at=now)
            .returning(col(Case.case_ref), col(Case.last_closed_at))
            .execution_options(synchronize_session=False)
        ).all()
        return sorted(((row[0], row[1]) for row in updated), key=lambda item: (item[1], item[0]))

    def case_contacts(self, session: Session, refs: list[str], columns: Sequence[str]) -> list[Any]:
        """Each case's contacts last closed first, ties by the later row."""
        chosen = [getattr(Contact, name) for name in columns]
        rows: list[Any] = []
        for condition in self.among(session, col(Contact.case_ref), refs):
            statement = (
                select(*chosen).where(condition).order_by(text("case_ref, closed_at DESC, id DESC"))
            )
            rows.extend(session.connection().execute(statement))
        return rows

    def lock_customers(self, session: Session, hashes: set[str]) -> None:
        return None  # BEGIN IMMEDIATE: the sampling transaction is the only writer

    def write_decisions(
        self,
        session: Session,
        decisions: list[Decision],
        surveys: list[dict[str, Any]],
        identifiers: list[dict[str, Any]],
    ) -> None:
        """The decisions, then the surveys of those decided here, then their identifiers."""
        inserted = self.insert_rows(
            session,
            _table(SamplingDecision),
            [d._asdict() for d in decisions],
            conflict="case_ref",
            returning=("id", "case_ref"),
        )
        decision_ids = {row.case_ref: row.id for row in inserted}
        # A case whose decision another process wrote first (a conflict) gets no survey from us.
        rows = [
            {**row, "decision_id": decision_ids[row["case_ref"]]}
            for row in surveys
            if row["case_ref"] in decision_ids
        ]
        inserted = self.insert_rows(
            session, _table(Survey), rows, conflict="case_ref", returning=("id", "case_ref")
        )
        survey_ids = {row.case_ref: row.id for row in inserted}
        rows = [
            {"survey_id": survey_ids[row["case_ref"]], **_without(row, "case_ref")}
            for row in identifiers
            if row["case_ref"] in survey_ids
        ]
        self.insert_rows(session, _table(SurveyIdentifier), rows)

    def view_and_open(
        self,
        session: Session,
        opened: Update,
        view: Select[Any],
        params: dict[str, Any],
        may_open: Callable[[Any], bool],
    ) -> Any:
        """The read; then, only if it may be the first opening, the conditional opening,
        which returns the row as it is after (a later view writes nothing)."""
        connection = session.connection()
        row = connection.execute(view, params).first()
        if row is None or not may_open(row):
            return row
        statement = self._composed.get(
            (opened, view), lambda: opened.returning(*view.selected_columns)
        )
        return connection.execute(statement, params).first() or row

    def answer(
        self,
        session: Session,
        answered: Update,
        response: Table,
        values: dict[str, Any],
        params: dict[str, Any],
    ) -> bool:
        """The conditional update, then the response, in one transaction. False when the
        survey was not open (nothing written)."""
        connection = session.connection()
        insert_response = self._composed.get(
            (response, values),
            lambda: insert(response).values({"survey_id": bindparam("survey_id"), **values}),
        )
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            return _answer(connection, answered, insert_response, params)
        # A session in autocommit (the page's reads) gets a transaction of its own here.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            stored = _answer(connection, answered, insert_response, params)
        except BaseException:
            connection.exec_driver_sql("ROLLBACK")
            raise
        connection.exec_driver_sql("COMMIT" if stored else "ROLLBACK")
        return stored

    def seconds_between(self, later: Any, earlier: Any) -> ColumnElement[Any]:
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0

    def period_label(self, day: Any, key: str) -> ColumnElement[str]:
        return periods.period_label(day, key)

    def percentiles(
        self, session: Session, query: Any, names: list[str], fractions: Sequence[float]
    ) -> dict[tuple[Any, ...], tuple[int, list[float | None]]]:
        """SQLite has no percentile_cont: rank within each group, fetch only the ranks needed,
        and interpolate as percentile_cont does."""
        inner = query.subquery()
        group = [inner.c[n] for n in names]
        ranked = select(
            *group,
            inner.c.seconds,
            func.row_number().over(partition_by=group, order_by=inner.c.seconds).label("rank"),
            func.count().over(partition_by=group).label("n"),
        ).subquery()
        wanted = []
        for p in fractions:
            below = cast(p * (ranked.c.n - 1), Integer) + 1
            wanted += [ranked.c["rank"] == below, ranked.c["rank"] == below + 1]
        rows = session.execute(
            select(
                *[ranked.c[n] for n in names], ranked.c.seconds, ranked.c["rank"], ranked.c.n
            ).where(or_(*wanted))
        )
        width = len(names)
        sizes: dict[tuple[Any, ...], int] = {}
        values: dict[tuple[Any, ...], dict[int, float]] = defaultdict(dict)
        for row in rows:
            key = tuple(row[:width])
            seconds, rank, n = row[width:]
            sizes[key] = int(n)
            values[key][int(rank)] = float(seconds)
        return {
            key: (sizes[key], [_interpolate(ranks, sizes[key], p) for p in fractions])
            for key, ranks in values.items()
        }


def _answer(
    connection: Any, answered: Update, insert_response: Any, params: dict[str, Any]
) -> bool:
    if connection.execute(answered, params).rowcount != 1:
        return False
    connection.execute(insert_response, params)
    return True


def percentile_positions(count: int, fraction: float) -> tuple[int, int, float]:
    """The two 1-based ranks percentile_cont interpolates between, and the weight of the upper."""
    position = fraction * (count - 1)
    below = math.floor(position)
    return below + 1, min(below + 2, count), position - below


def _interpolate(ranks: dict[int, float], count: int, fraction: float) -> float:
    lo, hi, weight = percentile_positions(count, fraction)
    return ranks[lo] + (ranks[hi] - ranks[lo]) * weight


def _table(model: Any) -> Any:
    return model.__table__


def _without(row: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != key}
