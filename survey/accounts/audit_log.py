"""The audit log: a hash chain of entries, added in the caller's transaction, read newest first,
and checked end to end (`survey audit verify`, `survey audit head`).

Each entry's payload (time, who, action, subject, details) is hashed in a canonical JSON form;
its chain hash is SHA-256 of the previous entry's chain hash and its own payload hash. Writers
append one at a time (the store's audit lock), so the chain has no forks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from survey.db import utcnow
from survey.models import AuditLog
from survey.store import store_of

GENESIS = "0" * 64  # the chain hash before the first entry


def audit(
    session: Session, *, who: str, action: str, subject: str | None = None, **details: Any
) -> None:
    """Append an audit entry in the session's transaction (the caller commits)."""
    store_of(session).lock_audit(session)
    at = utcnow()
    digest = payload_hash(at=at, who=who, action=action, subject=subject, details=details)
    # head() reads through the session: an entry added before in this transaction is flushed
    # first, so the next one chains on it.
    previous = head(session)
    session.add(
        AuditLog(
            at=at,
            who=who,
            action=action,
            subject=subject,
            details=details,
            payload_hash=digest,
            chain_hash=chain_hash(previous, digest),
        )
    )


def payload_hash(
    *, at: datetime, who: str, action: str, subject: str | None, details: dict[str, Any]
) -> str:
    """SHA-256 of an entry's payload in canonical JSON (sorted keys, no spaces, UTF-8)."""
    payload = {
        "at": at.astimezone(UTC).isoformat(),
        "who": who,
        "action": action,
        "subject": subject,
        "details": details,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def chain_hash(previous: str, payload: str) -> str:
    return hashlib.sha256(bytes.fromhex(previous) + bytes.fromhex(payload)).hexdigest()


def head(session: Session) -> str:
    """The chain hash of the newest entry (GENESIS for an empty log): publish it."""
    latest = session.scalar(
        select(col(AuditLog.chain_hash)).order_by(col(AuditLog.id).desc()).limit(1)
    )
    return latest or GENESIS


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    broken_at: int | None = None  # the id of the first entry that does not chain
    problem: str | None = None


def verify_chain(session: Session) -> ChainCheck:
    """Recompute every entry's payload hash (unless redacted) and chain hash, oldest first."""
    previous, count = GENESIS, 0
    rows = session.execute(select(AuditLog).order_by(col(AuditLog.id))).scalars()
    for entry in rows:
        count += 1
        if entry.redacted_at is None and _payload_of(entry) != entry.payload_hash:
            return ChainCheck(count, entry.id, "its payload differs from its hash")
        if chain_hash(previous, entry.payload_hash) != entry.chain_hash:
            return ChainCheck(count, entry.id, "it does not follow the entry before it")
        previous = entry.chain_hash
    return ChainCheck(count)


def _payload_of(entry: AuditLog) -> str:
    return payload_hash(
        at=entry.at,
        who=entry.who,
        action=entry.action,
        subject=entry.subject,
        details=entry.details,
    )


def audit_entries(session: Session, *, before: int | None, limit: int) -> list[AuditLog]:
    """At most `limit` entries, newest first; with `before`, only those with a smaller id."""
    query = select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)
    if before:
        query = query.where(col(AuditLog.id) < before)
    return list(session.exec(query))
