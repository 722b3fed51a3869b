"""SQLite's contact intake: insert the new contacts, then fold them into their cases."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from survey.models import Case, Contact


def add_contacts(
    session: Session, rows: list[dict[str, Any]], *, now: datetime
) -> set[tuple[int, str]]:
    """Insert the contacts that are new and fold them into their cases; the keys inserted."""
    if not rows:
        return set()
    statement = (
        sqlite_insert(Contact.__table__)  # type: ignore[attr-defined]
        .on_conflict_do_nothing(index_elements=["actor_id", "external_id"])
        .returning(col(Contact.actor_id), col(Contact.external_id))
    )
    inserted = {(a, e) for a, e in session.connection().execute(statement, rows)}
    new = [row for row in rows if (row["actor_id"], row["external_id"]) in inserted]
    _upsert_cases(session, case_rows(new, now=now))
    return inserted


def case_rows(rows: Iterable[dict[str, Any]], *, now: datetime) -> list[dict[str, Any]]:
    """One row per case of `rows`: earliest opening, latest closure, number of contacts."""
    cases: dict[str, dict[str, Any]] = {}
    for row in rows:
        case = cases.setdefault(
            row["case_ref"],
            {
                "case_ref": row["case_ref"],
                "first_opened_at": None,
                "last_closed_at": row["closed_at"],
                "last_closed_local_date": row["closed_local_date"],
                "contact_count": 0,
                "updated_at": now,
            },
        )
        case["contact_count"] += 1
        case["last_closed_at"] = max(case["last_closed_at"], row["closed_at"])
        # A later instant never has an earlier local date: the latest date is the last's.
        case["last_closed_local_date"] = max(
            case["last_closed_local_date"], row["closed_local_date"]
        )
        opened = row["opened_at"] or row["closed_at"]
        first = case["first_opened_at"]
        case["first_opened_at"] = opened if first is None else min(first, opened)
    return [cases[ref] for ref in sorted(cases)]


def _upsert_cases(session: Session, values: list[dict[str, Any]]) -> None:
    if not values:
        return
    statement = sqlite_insert(Case.__table__)  # type: ignore[attr-defined]
    excluded, table = statement.excluded, Case.__table__.c  # type: ignore[attr-defined]
    statement = statement.on_conflict_do_update(
        index_elements=["case_ref"],
        set_={
            "last_closed_at": func.max(table.last_closed_at, excluded.last_closed_at),
            "last_closed_local_date": func.max(
                table.last_closed_local_date, excluded.last_closed_local_date
            ),
            "first_opened_at": func.min(
                func.coalesce(table.first_opened_at, excluded.first_opened_at),
                func.coalesce(excluded.first_opened_at, table.first_opened_at),
            ),
            "contact_count": table.contact_count + excluded.contact_count,
            "updated_at": excluded.updated_at,
        },
    )
    # Sorted by case_ref, so concurrent batches lock cases in the same order (no deadlock).
    session.connection().execute(statement, values)
