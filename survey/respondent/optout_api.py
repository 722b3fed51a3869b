"""Opt-outs that integrations register through the API."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from survey.accounts.audit_log import audit
from survey.identifiers import identifier_hashes
from survey.intake.schemas import OptOutIn
from survey.respondent.optouts import record_opt_out


def register(
    session: Session,
    opt_out: OptOutIn,
    *,
    actor_id: int | None,
    now: datetime,
    identifier_key: str,
) -> int:
    hashes = identifier_hashes(identifier_key, opt_out.phone, opt_out.email, opt_out.ref)
    count = record_opt_out(
        session,
        hashes=hashes,
        source=opt_out.source,
        now=now,
        agent=opt_out.agent,
        actor_id=actor_id,
    )
    audit(
        session,
        who=f"actor:{actor_id}",
        action="opt_out.api",
        details_source=opt_out.source,
        identifiers=count,
    )
    session.commit()
    return count
