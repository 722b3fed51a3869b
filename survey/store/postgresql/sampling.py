"""PostgreSQL's sampling statements: the claim, the customer locks, the decisions' writes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from psycopg.errors import UniqueViolation
from sqlalchemy import text
from sqlmodel import Session

from survey.models import SamplingDecision, Survey, SurveyIdentifier
from survey.store.base import DECISION_COLUMNS, Decision

__all__ = ["Decision", "claim_cases", "lock_customers", "write_decisions"]
from survey.store.postgresql.driver import copy_rows, execute_binary, unnest_select

# Code-point order of case_ref ("C"), as Python compares: the column's own collation, and
# SQLite's default. The partial undecided index gives the whole order (no sort of every
# undecided case), and the update finds the locked rows by ctid instead of joining the whole
# table.
_CLAIM = """
    WITH claimed AS (
        UPDATE customer_case SET decided_at = %(now)s
        WHERE decided_at IS NULL AND ctid = ANY(ARRAY(
            SELECT ctid FROM customer_case
            WHERE decided_at IS NULL
            ORDER BY last_closed_at, case_ref COLLATE "C"
            LIMIT %(limit)s
            FOR UPDATE SKIP LOCKED
        ))
        RETURNING case_ref, last_closed_at
    )
    SELECT case_ref, last_closed_at FROM claimed ORDER BY last_closed_at, case_ref COLLATE "C"
    """
# Each case's contacts last closed first, ties by the later row.
_CONTACTS = """
SELECT {columns} FROM contact
WHERE case_ref = ANY(CAST(%(refs)b AS text[]))
ORDER BY case_ref, closed_at DESC, id DESC
"""
# Customers are serialised through a fixed set of lock buckets, not one lock per identifier:
# a batch at a sampling rate of 1 has thousands of identifiers, and PostgreSQL's lock table
# (max_locks_per_transaction x connections, about 6,400 by default) would run out. The same
# customer always maps to the same buckets, so the serialisation holds.
LOCK_CLASS = 0x53757276  # "Surv": the first key of the two-key advisory lock form
LOCK_BUCKETS = 256
_SKIP_DECIDED = "ON CONFLICT (case_ref) DO NOTHING"  # decided before


def claim_cases(session: Session, limit: int, now: datetime) -> list[tuple[str, datetime]]:
    """Mark the next undecided cases decided (in this transaction); in order, read in binary."""
    rows = execute_binary(
        session, _CLAIM, {"now": now, "limit": limit}, fetch=True, binary=True, tuples=True
    )
    return cast(list[tuple[str, datetime]], rows)


def case_contacts(session: Session, refs: list[str], columns: Sequence[str]) -> list[Any]:
    """Straight on the driver, results in binary: no per-value processing of SQLAlchemy's."""
    sql = _CONTACTS.format(columns=", ".join(columns))
    return execute_binary(session, sql, {"refs": refs}, fetch=True, binary=True)


def lock_buckets(hashes: set[str]) -> list[int]:
    return sorted({int(h[:16], 16) % LOCK_BUCKETS for h in hashes})


def lock_customers(session: Session, hashes: set[str]) -> None:
    """One sorted sweep per transaction: every process takes the locks in the same order."""
    buckets = lock_buckets(hashes)
    if buckets:
        session.execute(
            text(
                "SELECT count(pg_advisory_xact_lock(:lock_class, b)) "
                "FROM unnest(CAST(:buckets AS integer[])) b"
            ),
            {"lock_class": LOCK_CLASS, "buckets": buckets},
        )


def write_decisions(
    session: Session,
    decisions: list[Decision],
    surveys: list[dict[str, Any]],
    identifiers: list[dict[str, Any]],
) -> None:
    """The decisions, with the surveys and survey identifiers of the selected cases.

    Decisions that bring no survey go in by COPY: heap pages filled in bulk, no speculative
    insertion of ON CONFLICT. A case decided before (the claim's row locks keep two processes
    apart, but the unique constraint is the last guard) fails the COPY at that constraint: the
    batch then goes in again, from a savepoint, as one joined statement, and the first
    decision stands.
    """
    if not surveys:
        try:
            with session.begin_nested():
                copy_rows(session, _table(SamplingDecision), DECISION_COLUMNS, decisions)
            return
        except UniqueViolation:
            pass
    rows = [d._asdict() for d in decisions]
    _write_joined(session, rows, surveys, identifiers)


def _write_joined(
    session: Session,
    decisions: list[dict[str, Any]],
    surveys: list[dict[str, Any]],
    identifiers: list[dict[str, Any]],
) -> None:
    """The batch's decisions, surveys and survey identifiers in one statement.

    A survey joins the decision the same statement inserted: a case whose decision was
    written before (a conflict) gets no survey from us. Only column names from the
    models go into the SQL text; every value is a parameter.
    """
    names, rows, params = unnest_select(session, _table(SamplingDecision).c, decisions, prefix="d")
    insert = f"INSERT INTO sampling_decision ({', '.join(names)}) {rows} " + _SKIP_DECIDED
    if not surveys:  # no survey to join: nothing to return
        execute_binary(session, insert, params)
        return
    sql = [f"WITH decided AS ({insert} RETURNING id, case_ref)"]
    names, rows, more = unnest_select(session, _table(Survey).c, surveys, prefix="s")
    params.update(more)
    sql += [
        f", surveyed AS (INSERT INTO survey (decision_id, {', '.join(names)})",
        f"SELECT decided.id, {', '.join('s.' + n for n in names)}",
        f"FROM ({rows}) s JOIN decided USING (case_ref)",
        "ON CONFLICT (case_ref) DO NOTHING RETURNING id, case_ref)",
    ]
    if identifiers:
        columns = {**dict(_table(SurveyIdentifier).c), "case_ref": _table(Survey).c.case_ref}
        names, rows, more = unnest_select(session, columns, identifiers, prefix="i")
        params.update(more)
        names.remove("case_ref")
        sql += [
            f"INSERT INTO survey_identifier (survey_id, {', '.join(names)})",
            f"SELECT surveyed.id, {', '.join('i.' + n for n in names)}",
            f"FROM ({rows}) i JOIN surveyed USING (case_ref)",
        ]
    else:
        sql.append("SELECT count(*) FROM decided")
    execute_binary(session, " ".join(sql), params)


def _table(model: Any) -> Any:
    return model.__table__
