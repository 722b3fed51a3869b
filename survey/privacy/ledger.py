"""The erasure ledger: every erased identifier as a keyed hash, to repeat erasures after a
database restore.

A backup taken before an erasure brings the person back when it is restored. The ledger (the
table, and its export as JSON lines kept apart from the database backups) holds no identifier in
clear; `reapply_erasures` finds the contacts and surveys whose identifiers have those keyed
hashes and erases them again, opt-outs included.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.identifiers import customer_identifiers, identifier_hash
from survey.models import Contact, ErasureRecord
from survey.privacy.erasure import ErasureTargets, apply_erasure, audit_cancellations
from survey.privacy.query import Identifier, survey_ids

_BATCH = 1000


@dataclass(frozen=True)
class Reapplied:
    identifiers: int
    contacts: int
    surveys: int
    comments: int


def ledger_lines(session: Session) -> Iterator[str]:
    """The ledger as JSON lines, oldest first, for keeping apart from the database backups."""
    rows = session.scalars(select(ErasureRecord).order_by(col(ErasureRecord.id)))
    for row in rows:
        yield json.dumps(
            {
                "identifier_hash": row.identifier_hash,
                "kind": row.kind,
                "erased_at": row.erased_at.isoformat(),
            }
        )


def parse_ledger(lines: Iterable[str]) -> dict[str, str]:
    """Keyed hash -> kind from exported ledger lines; ValueError naming a bad line."""
    found: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            digest, kind = str(item["identifier_hash"]), str(item["kind"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"ledger line {number}: {exc}") from None
        if len(digest) != 64 or kind not in {"phone", "email", "ref"}:
            raise ValueError(f"ledger line {number}: not a keyed hash of a phone, email or ref")
        found[digest] = kind
    return found


def reapply_erasures(
    session: Session,
    *,
    identifier_key: str,
    now: datetime,
    who: str,
    extra: dict[str, str] | None = None,
) -> Reapplied:
    """Erase again every contact and survey of an identifier in the ledger (and in `extra`, an
    exported ledger); the identifiers come back into the ledger table. Commits."""
    ledger = {
        row[0]: row[1]
        for row in session.execute(
            select(col(ErasureRecord.identifier_hash), col(ErasureRecord.kind))
        )
    }
    ledger.update(extra or {})
    contacts, identifiers = _matching_contacts(session, set(ledger), identifier_key)
    surveys = survey_ids(session, identifiers, list(ledger))
    targets = ErasureTargets(identifiers, ledger, contacts, surveys)
    comments = apply_erasure(session, targets, now=now)
    audit(
        session,
        who=who,
        action="customer.reapply_erasures",
        identifiers=len(ledger),
        contacts=len(contacts),
        surveys=len(targets.survey_ids),
        comments=comments,
    )
    audit_cancellations(session, targets.cancelled, who=who)
    session.commit()
    return Reapplied(len(ledger), len(contacts), len(targets.survey_ids), comments)


def _matching_contacts(
    session: Session, hashes: set[str], key: str
) -> tuple[list[int], list[Identifier]]:
    """The contacts still carrying an identifier whose keyed hash is in `hashes`, and those
    identifiers."""
    if not hashes:
        return [], []
    query = (
        select(
            col(Contact.id),
            col(Contact.customer_phone),
            col(Contact.customer_email),
            col(Contact.customer_ref),
        )
        .where(
            or_(
                col(Contact.customer_phone).is_not(None),
                col(Contact.customer_email).is_not(None),
                col(Contact.customer_ref).is_not(None),
            )
        )
        .execution_options(yield_per=_BATCH)
    )
    found: list[int] = []
    matched: set[Identifier] = set()
    for contact_id, phone, email, ref in session.execute(query):
        erased = [
            Identifier(kind, value)
            for kind, value in customer_identifiers(phone, email, ref)
            if identifier_hash(key, kind, value) in hashes
        ]
        if erased:
            found.append(contact_id)
            matched.update(erased)
    return found, sorted(matched, key=Identifier.order)
