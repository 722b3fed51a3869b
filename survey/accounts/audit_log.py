"""Reading the audit log (entries are written with survey.accounts.accounts.audit)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from survey.models import AuditLog


def audit_entries(session: Session, *, before: int | None, limit: int) -> list[AuditLog]:
    """At most `limit` entries, newest first; with `before`, only those with a smaller id."""
    query = select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)
    if before:
        query = query.where(col(AuditLog.id) < before)
    return list(session.exec(query))
