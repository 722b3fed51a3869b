"""Ingestion of closed contacts: validated items in, contacts and case rows out; idempotent."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from survey.models import Case, Contact
from survey.schemas import ContactIn, language_of

_LOOKUP_CHUNK = 500


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass(frozen=True)
class ItemError:
    index: int
    errors: list[FieldError]

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "errors": [e.__dict__ for e in self.errors]}


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    conflicts: list[ItemError] = field(default_factory=list)


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    found = []
    for error in exc.errors():
        path = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        head, sep, rest = message.partition(": ")
        if not path and sep and head.isidentifier():
            path, message = head, rest
        found.append(FieldError(field=prefix + path, message=message))
    return found


def validate_items(
    items: Sequence[Any], *, now: datetime
) -> tuple[list[ContactIn], list[ItemError]]:
    """Validate each item on its own, so that every invalid item is reported at once."""
    valid: list[ContactIn] = []
    invalid: list[ItemError] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            invalid.append(ItemError(index, [FieldError("", "must be an object")]))
            continue
        try:
            valid.append(ContactIn.model_validate(item, context={"now": now}))
        except ValidationError as exc:
            invalid.append(ItemError(index, field_errors(exc)))
    return valid, invalid


def contact_row(
    contact: ContactIn, *, actor_id: int, now: datetime, default_language: str
) -> dict[str, Any]:
    customer = contact.customer
    row: dict[str, Any] = {
        "external_id": contact.external_id,
        "case_ref": contact.case_ref,
        "channel": contact.channel,
        "opened_at": contact.opened_at.astimezone(UTC) if contact.opened_at else None,
        "closed_at": contact.closed_at.astimezone(UTC),
        "agent": contact.agent,
        "team": contact.team,
        "case_type": contact.case_type,
        "complaint": contact.complaint,
        "do_not_survey": contact.do_not_survey is not None,
        "do_not_survey_reason": contact.do_not_survey.reason if contact.do_not_survey else None,
        "customer_phone": customer.phone,
        "customer_email": customer.email,
        "customer_language": language_of(customer.language, default_language),
        "customer_ref": customer.ref,
    }
    row["content_hash"] = _content_hash(row)
    row["actor_id"] = actor_id
    row["received_at"] = now
    return row


def _content_hash(row: dict[str, Any]) -> str:
    canonical = json.dumps(row, sort_keys=True, default=lambda v: v.isoformat())
    return hashlib.sha256(canonical.encode()).hexdigest()


def ingest_rows(session: Session, rows: list[dict[str, Any]], *, now: datetime) -> IngestResult:
    """Store new contacts and keep their cases current; the caller commits or rolls back.

    Re-sent identical contacts count as duplicates; the same (actor, external_id) with other
    content is a conflict, reported by its index in `rows` (nothing is written for it).
    """
    result = IngestResult()
    fresh: dict[tuple[int, str], tuple[int, dict[str, Any]]] = {}
    for index, row in enumerate(rows):
        key = (row["actor_id"], row["external_id"])
        if key in fresh:
            _classify(result, index, fresh[key][1]["content_hash"], row["content_hash"])
        else:
            fresh[key] = (index, row)
    for key, stored_hash in _stored_hashes(session, list(fresh)).items():
        index, row = fresh.pop(key)
        _classify(result, index, stored_hash, row["content_hash"])
    new_rows = [row for _, row in sorted(fresh.values(), key=lambda p: p[1]["external_id"])]
    if new_rows:
        inserted = _insert_contacts(session, new_rows)
        missing = [k for k in fresh if k not in inserted]
        # Lost a race with another request carrying the same contacts: classify against theirs.
        for key, stored_hash in _stored_hashes(session, missing).items():
            index, row = fresh[key]
            _classify(result, index, stored_hash, row["content_hash"])
        stored = [row for key, (_, row) in fresh.items() if key in inserted]
        _upsert_cases(session, stored, now=now)
        result.accepted += len(stored)
    return result


def _classify(result: IngestResult, index: int, stored_hash: str, new_hash: str) -> None:
    if stored_hash == new_hash:
        result.duplicates += 1
    else:
        result.conflicts.append(
            ItemError(
                index,
                [
                    FieldError(
                        "external_id",
                        "a contact with this external_id exists already with other content",
                    )
                ],
            )
        )


def _stored_hashes(session: Session, keys: list[tuple[int, str]]) -> dict[tuple[int, str], str]:
    found: dict[tuple[int, str], str] = {}
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[start : start + _LOOKUP_CHUNK]
        rows = session.execute(
            select(
                col(Contact.actor_id), col(Contact.external_id), col(Contact.content_hash)
            ).where(tuple_(col(Contact.actor_id), col(Contact.external_id)).in_(chunk))
        )
        found.update({(a, e): h for a, e, h in rows})
    return found


def _dialect_insert(session: Session, table: Any) -> Any:
    """INSERT with the dialect's ON CONFLICT support (PostgreSQL and SQLite share the syntax)."""
    name = session.get_bind().dialect.name
    module: Any = postgresql if name == "postgresql" else sqlite
    return module.insert(table)


def _insert_contacts(session: Session, rows: list[dict[str, Any]]) -> set[tuple[int, str]]:
    statement = (
        _dialect_insert(session, Contact)
        .on_conflict_do_nothing(index_elements=["actor_id", "external_id"])
        .returning(col(Contact.actor_id), col(Contact.external_id))
    )
    result = session.execute(statement, rows)
    return {(a, e) for a, e in result}


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
                "contact_count": 0,
                "updated_at": now,
            },
        )
        case["contact_count"] += 1
        case["last_closed_at"] = max(case["last_closed_at"], row["closed_at"])
        opened = row["opened_at"] or row["closed_at"]
        first = case["first_opened_at"]
        case["first_opened_at"] = opened if first is None else min(first, opened)
    return [cases[ref] for ref in sorted(cases)]


def _upsert_cases(session: Session, rows: list[dict[str, Any]], *, now: datetime) -> None:
    values = case_rows(rows, now=now)
    statement = _dialect_insert(session, Case)
    excluded, table = statement.excluded, Case.__table__.c  # type: ignore[attr-defined]
    greatest, least = (
        (func.greatest, func.least)
        if session.get_bind().dialect.name == "postgresql"
        else (func.max, func.min)
    )
    statement = statement.on_conflict_do_update(
        index_elements=["case_ref"],
        set_={
            "last_closed_at": greatest(table.last_closed_at, excluded.last_closed_at),
            "first_opened_at": least(
                func.coalesce(table.first_opened_at, excluded.first_opened_at),
                func.coalesce(excluded.first_opened_at, table.first_opened_at),
            ),
            "contact_count": table.contact_count + excluded.contact_count,
            "updated_at": excluded.updated_at,
        },
    )
    # Sorted by case_ref, so concurrent batches lock cases in the same order (no deadlock).
    session.execute(statement, values)


def ingest_batch(
    session: Session,
    *,
    actor_id: int,
    items: Sequence[Any],
    now: datetime,
    default_language: str,
) -> tuple[IngestResult, list[ItemError]]:
    """All or nothing: commit every contact of the batch, or none and return every error."""
    valid, invalid = validate_items(items, now=now)
    if invalid:
        return IngestResult(), invalid
    rows = [
        contact_row(c, actor_id=actor_id, now=now, default_language=default_language) for c in valid
    ]
    result = ingest_rows(session, rows, now=now)
    if result.conflicts:
        session.rollback()
        return IngestResult(), sorted(result.conflicts, key=lambda e: e.index)
    session.commit()
    return result, []
