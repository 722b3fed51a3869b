"""After retention, the keys that join an answer to a person's case become keyed hashes.

What stays of an old survey is its answer with period and attribution (actor, team, agent,
channel, case type). The case reference and the contact's external id, with which the
organisation's own systems could find the customer, are replaced by HMAC-SHA256 pseudonyms
under SURVEY_IDENTIFIER_KEY: the result is pseudonymised, not anonymous (whoever holds the key
and the original references can still link them). Audit entries naming such a case are
redacted to the pseudonym; the chain holds their payload hashes, so it still verifies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlmodel import Session, col

from survey.keyed import hmac_sha256
from survey.models import AuditLog, Case, Contact, SamplingDecision, Survey

PREFIX = "pseudonym:"
# Audit actions whose subject is a case reference.
CASE_ACTIONS = ("survey.cancelled", "survey.postponement_capped")
_BATCH = 500


def pseudonym(key: str, kind: str, value: str) -> str:
    """`pseudonym:` and the hex HMAC-SHA256 of the kind and value: the same value, the same
    pseudonym, so that counts by case stay right."""
    return PREFIX + hmac_sha256(key.encode(), f"{kind}:{value}".encode()).hex()


def is_pseudonym(value: str) -> bool:
    return value.startswith(PREFIX)


def pseudonymise_cases(session: Session, *, key: str, cutoff: datetime, now: datetime) -> int:
    """Replace the reference of every decided case last closed before `cutoff`, and the
    external ids of its contacts; redact the audit entries naming it. Caller commits."""
    refs = list(
        session.scalars(
            select(col(Case.case_ref)).where(
                col(Case.last_closed_at) < cutoff,
                col(Case.decided_at).is_not(None),
                col(Case.case_ref).not_like(f"{PREFIX}%"),
            )
        )
    )
    for start in range(0, len(refs), _BATCH):
        batch = refs[start : start + _BATCH]
        _rename(session, {ref: pseudonym(key, "case", ref) for ref in batch}, key=key, now=now)
    _pseudonymise_external_ids(session, key=key, cutoff=cutoff)
    return len(refs)


def _rename(session: Session, names: dict[str, str], *, key: str, now: datetime) -> None:
    """Move each case to its pseudonym: a copy under the new key, the rows that point at it,
    then the old case goes (the surveys and decisions refer to the case by key)."""
    cases = session.scalars(select(Case).where(col(Case.case_ref).in_(list(names)))).all()
    session.execute(
        insert(Case),
        [
            {
                "case_ref": names[case.case_ref],
                "first_opened_at": case.first_opened_at,
                "last_closed_at": case.last_closed_at,
                "last_closed_local_date": case.last_closed_local_date,
                "contact_count": case.contact_count,
                "updated_at": case.updated_at,
                "decided_at": case.decided_at,
            }
            for case in cases
        ],
    )
    pairs: list[dict[str, Any]] = [{"old": old, "new": new} for old, new in names.items()]
    for model in (Survey, SamplingDecision, Contact):
        table = model.__table__  # type: ignore[union-attr]
        session.execute(
            update(table)
            .where(table.c.case_ref == bindparam("old"))
            .values(case_ref=bindparam("new")),
            pairs,
        )
    audit = AuditLog.__table__  # type: ignore[attr-defined]
    session.execute(
        update(audit)
        .where(
            audit.c.subject == bindparam("old"),
            or_(*(audit.c.action == action for action in CASE_ACTIONS)),
        )
        .values(subject=bindparam("new"), redacted_at=bindparam("now")),
        [{**pair, "now": now} for pair in pairs],
    )
    _redact_contact_details(session, key, list(names.values()))
    session.execute(delete(Case).where(col(Case.case_ref).in_(list(names))))
    session.expunge_all()


def _redact_contact_details(session: Session, key: str, subjects: list[str]) -> None:
    redact_case_entries(session, subjects, key=key)


def redact_case_entries(session: Session, subjects: list[str], *, key: str | None) -> None:
    """The audit entries about these cases lose the free-text reason a do_not_survey contact
    gave (it may say why a person is protected), and with `key` (retention) the contact's
    external id becomes the same pseudonym as on the contact. Caller commits."""
    if not subjects:
        return
    entries = session.execute(
        select(col(AuditLog.id), col(AuditLog.details)).where(
            col(AuditLog.subject).in_(subjects), col(AuditLog.action).in_(CASE_ACTIONS)
        )
    ).all()
    for entry_id, details in entries:
        redacted = {k: v for k, v in (details or {}).items() if k != "reason"}
        contact = redacted.get("contact")
        if key and isinstance(contact, str) and not is_pseudonym(contact):
            redacted["contact"] = pseudonym(key, "contact", contact)
        if redacted != (details or {}):
            session.execute(
                update(AuditLog).where(col(AuditLog.id) == entry_id).values(details=redacted)
            )


def _pseudonymise_external_ids(session: Session, *, key: str, cutoff: datetime) -> None:
    rows = session.execute(
        select(col(Contact.id), col(Contact.external_id)).where(
            col(Contact.closed_at) < cutoff, col(Contact.external_id).not_like(f"{PREFIX}%")
        )
    ).all()
    if not rows:
        return
    table = Contact.__table__  # type: ignore[attr-defined]
    session.execute(
        update(table)
        .where(table.c.id == bindparam("contact_id"))
        .values(external_id=bindparam("pseudonym")),
        [
            {"contact_id": contact_id, "pseudonym": pseudonym(key, "contact", external_id)}
            for contact_id, external_id in rows
        ],
    )
