"""Opt-outs that integrations register through the API (the IVR, an agent on the customer's
word). The source is the key's owner, set here: a client cannot pass one off as the customer's."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from survey.accounts.api_keys import KeyHolder
from survey.accounts.audit_log import audit
from survey.identifiers import identifier_hashes
from survey.intake.schemas import OptOutIn
from survey.optouts import api_source, organisation_source, record_opt_out


def register(
    session: Session,
    opt_out: OptOutIn,
    *,
    key: KeyHolder,
    now: datetime,
    identifier_key: str,
) -> int:
    """Record the opt-out of every identifier given, audited; commits; how many were recorded."""
    hashes = identifier_hashes(identifier_key, opt_out.phone, opt_out.email, opt_out.ref)
    source = key_source(key)
    count = record_opt_out(
        session,
        hashes=hashes,
        source=source,
        now=now,
        agent=opt_out.agent,
        actor_id=key.actor_id,
    )
    audit(
        session,
        who=source,
        action="opt_out.api",
        agent=opt_out.agent,
        identifiers=count,
    )
    session.commit()
    return count


def key_source(key: KeyHolder) -> str:
    """`api:<actor>` for an actor's key, `api:organisation:<label>` for an organisation key."""
    if key.is_organisation:
        return organisation_source(key.label or "")
    return api_source(key.actor_name or "")
