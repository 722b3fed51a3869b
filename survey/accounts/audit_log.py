"""The audit log: entries added in the caller's transaction, and read newest first."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from survey.models import AuditLog


def audit_entries(session: Session, *, before: int | None, limit: int) -> list[AuditLog]:
    """At most `limit` entries, newest first; with `before`, only those with a smaller id."""
    query = select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)
    if before:
        query = query.where(col(AuditLog.id) < before)
    return list(session.exec(query))


def audit(
    session: Session, *, who: str, action: str, subject: str | None = None, **details: Any
) -> None:
    """Add an audit entry to the session's transaction (the caller commits)."""
    session.add(AuditLog(who=who, action=action, subject=subject, details=details))
