"""Ingestion of closed contacts: validated items in, contacts and case rows out; idempotent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from survey.intake.schemas import ContactIn, language_of
from survey.keyed import prefixed_hmac_sha256
from survey.models import Contact
from survey.sampling.draw import local_date
from survey.store import store_of

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
    contact: ContactIn,
    *,
    actor_id: int,
    now: datetime,
    default_language: str,
    identifier_key: str,
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
    row["content_hash"] = content_hash(row, identifier_key)
    # Derived from closed_at, so outside the content hash (a re-sent contact is the same one).
    row["closed_local_date"] = local_date(row["closed_at"])
    row["actor_id"] = actor_id
    row["received_at"] = now
    return row


def content_hash(row: dict[str, Any], identifier_key: str) -> str:
    """HMAC-SHA256 of the contact's content with SURVEY_IDENTIFIER_KEY (hex).

    It tells a re-sent contact from a changed one. Keyed, because the content holds the
    customer's phone, e-mail and ref and the digest outlives their erasure and purge: a plain
    digest would let anyone holding it test guessed phone numbers against it.
    """
    canonical = json.dumps(row, sort_keys=True, default=lambda v: v.isoformat())
    return prefixed_hmac_sha256(identifier_key.encode(), b"contact:")(canonical.encode()).hex()


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
    if not fresh:
        return result
    new_rows = sorted((row for _, row in fresh.values()), key=lambda r: r["external_id"])
    inserted = store_of(session).add_contacts(session, new_rows, now=now)
    result.accepted = len(inserted)
    # Inserting first keeps the common case (new contacts) to one statement; the rest are
    # re-sent contacts (or another request's) to tell apart as duplicates or conflicts.
    not_new = [key for key in fresh if key not in inserted]
    for key, stored_hash in _stored_hashes(session, not_new).items():
        index, row = fresh[key]
        _classify(result, index, stored_hash, row["content_hash"])
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
    by_actor: dict[int, list[str]] = {}
    for actor_id, external_id in keys:
        by_actor.setdefault(actor_id, []).append(external_id)
    found: dict[tuple[int, str], str] = {}
    for actor_id, external_ids in by_actor.items():
        for start in range(0, len(external_ids), _LOOKUP_CHUNK):
            rows = session.execute(
                select(col(Contact.external_id), col(Contact.content_hash)).where(
                    col(Contact.actor_id) == actor_id,
                    col(Contact.external_id).in_(external_ids[start : start + _LOOKUP_CHUNK]),
                )
            )
            found.update({(actor_id, e): h for e, h in rows})
    return found


def ingest_batch(
    session: Session,
    *,
    actor_id: int,
    items: Sequence[Any],
    now: datetime,
    default_language: str,
    identifier_key: str,
) -> tuple[IngestResult, list[ItemError]]:
    """All or nothing: commit every contact of the batch, or none and return every error."""
    valid, invalid = validate_items(items, now=now)
    if invalid:
        return IngestResult(), invalid
    rows = [
        contact_row(
            c,
            actor_id=actor_id,
            now=now,
            default_language=default_language,
            identifier_key=identifier_key,
        )
        for c in valid
    ]
    result = ingest_rows(session, rows, now=now)
    if result.conflicts:
        session.rollback()
        return IngestResult(), sorted(result.conflicts, key=lambda e: e.index)
    session.commit()
    return result, []
