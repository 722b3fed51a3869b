"""The Store: every statement whose form depends on the database, behind one interface.

The context opens one store at start (survey.store.open_store); a session made by the store
carries it (store_of), so that a use case holding only a session reaches the same store.
Nothing outside survey/store/ asks which database it runs on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, Protocol, TypeVar

from sqlalchemy import ColumnElement, Row, Select, Table, Update
from sqlalchemy.engine import Engine
from sqlalchemy.sql.selectable import GenerativeSelect
from sqlmodel import Session

# A query of rows to claim (dispatch, reminders).
Claim = TypeVar("Claim", bound=GenerativeSelect)


class Decision(NamedTuple):
    """A sampling decision as the store writes it: a row of sampling_decision, in this order."""

    case_ref: str
    decided_at: datetime
    last_closed_at: datetime
    drawn: bool
    reason: str
    rate: str
    key_fingerprint: str
    closed_local_date: date


DECISION_COLUMNS = Decision._fields


class SchedulerSlot(Protocol):
    """The scheduler process's place on the database (see survey.scheduler)."""

    renew_seconds: int | None  # how often to renew the slot; None: never
    refusal: str  # what to say when the slot is taken

    def take(self) -> bool: ...
    def renew(self) -> None: ...
    def release(self) -> None: ...


class Store(Protocol):
    """What the use cases ask of the database where SQLite and PostgreSQL differ."""

    name: str  # for tests and benchmarks; never branched on in survey/
    engine: Engine
    sampling_workers: int  # sampling workers that pay off (threads with their own connection)

    # Sessions and locks
    def session(self) -> AbstractContextManager[Session]: ...
    def new_session(self) -> Session: ...
    def autocommit(self, session: Session) -> None: ...
    def singleton(
        self, name: str, *, now: datetime, lease: timedelta
    ) -> AbstractContextManager[bool]: ...
    def dispose(self) -> None: ...
    def reachable(self) -> bool: ...
    def scheduler_slot(self, now: Callable[[], datetime]) -> SchedulerSlot: ...

    # Set-based reads and writes.
    # `column IN values` as one or more conditions (one array on PostgreSQL, chunks on SQLite):
    # run a query per condition, or OR them; never AND them.
    def among(
        self, session: Session, column: Any, values: Iterable[Any], item_type: Any = ...
    ) -> Iterator[ColumnElement[bool]]: ...
    # Rows must carry every value, all with the same keys: PostgreSQL's form applies no column
    # default of the models (SQLite's would), so a row that leans on one fails there.
    def insert_rows(
        self,
        session: Session,
        table: Table,
        rows: Sequence[dict[str, Any]],
        *,
        conflict: str | None = None,
        returning: tuple[str, ...] = (),
    ) -> list[Row[Any]]: ...
    def skip_locked(self, query: Claim) -> Claim: ...
    # The rows a query selects, locked until the transaction ends (waiting for other holders).
    def locked(self, query: Claim) -> Claim: ...
    def lock_policy(self, session: Session) -> None: ...
    def lock_audit(self, session: Session) -> None: ...
    # Reports: a time limit on the statements of the session's current transaction, and
    # whether an error is a statement that ran into it.
    def limit_statement_time(self, session: Session, seconds: float) -> None: ...
    def is_statement_timeout(self, error: BaseException) -> bool: ...
    # The rest of the session's work only reads (a report): its transaction must not hold
    # back the writers (the survey pages) while it runs. A write after it may fail.
    def read_only(self, session: Session) -> None: ...

    # Intake
    def add_contacts(
        self, session: Session, rows: list[dict[str, Any]], *, now: datetime
    ) -> set[tuple[int, str]]: ...

    # Sampling
    def claim_cases(
        self, session: Session, limit: int, now: datetime
    ) -> list[tuple[str, datetime]]: ...
    def case_contacts(
        self, session: Session, refs: list[str], columns: Sequence[str]
    ) -> Iterable[Any]: ...
    def lock_customers(self, session: Session, hashes: set[str]) -> None: ...
    def write_decisions(
        self,
        session: Session,
        decisions: list[Decision],
        surveys: list[dict[str, Any]],
        identifiers: list[dict[str, Any]],
    ) -> None: ...

    # Respondent. Where the store can, it writes in autocommit (PostgreSQL: one statement);
    # either way the caller commits afterwards, as for any other write.
    def view_and_open(
        self,
        session: Session,
        opened: Update,
        view: Select[Any],
        params: dict[str, Any],
        may_open: Callable[[Any], bool],
    ) -> Any: ...
    def answer(
        self,
        session: Session,
        answered: Update,
        response: Table,
        values: dict[str, Any],
        params: dict[str, Any],
    ) -> bool: ...

    # Reporting
    def seconds_between(self, later: Any, earlier: Any) -> ColumnElement[Any]: ...
    # A local date column's label under a time key (day 2026-03-10, week 2026-W11 in ISO
    # years and weeks, month 2026-03), as Python's isoformat and isocalendar write it; the
    # expression binds no parameter, so a grouping by it costs the same for any period.
    def period_label(self, day: Any, key: str) -> ColumnElement[str]: ...
    def percentiles(
        self, session: Session, query: Any, names: list[str], fractions: Sequence[float]
    ) -> dict[tuple[Any, ...], tuple[int, list[float | None]]]: ...
