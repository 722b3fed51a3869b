"""Access (GDPR article 15): everything kept about a customer, in one document."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.models import Contact, FollowUp, OptOut, Response, Survey
from survey.privacy.query import CustomerQuery, contact_filter, hashes_of, survey_ids


def export_customer(
    session: Session, query: CustomerQuery, *, identifier_key: str, who: str
) -> dict[str, Any]:
    """Everything kept about the customer with this identifier (GDPR article 15)."""
    hashes = hashes_of(identifier_key, query)
    contacts = session.scalars(
        select(Contact).where(contact_filter(query)).order_by(col(Contact.closed_at))
    ).all()
    ids = survey_ids(session, query, hashes)
    surveys = session.scalars(select(Survey).where(col(Survey.id).in_(ids))).all()
    responses = session.scalars(select(Response).where(col(Response.survey_id).in_(ids))).all()
    follow_ups = session.scalars(
        select(FollowUp).where(col(FollowUp.survey_id).in_(ids)).order_by(col(FollowUp.id))
    ).all()
    opt_outs = session.scalars(
        select(OptOut).where(col(OptOut.identifier_hash).in_(hashes)).order_by(col(OptOut.id))
    ).all()
    audit(
        session,
        who=who,
        action="customer.export",
        subject=query.label(),
        contacts=len(contacts),
        surveys=len(surveys),
    )
    session.commit()
    return {
        "identifier": query.label(),
        "contacts": [_public(c, exclude={"content_hash", "actor_id"}) for c in contacts],
        "surveys": [_public(s, exclude={"lease_until", "decision_id"}) for s in surveys],
        "responses": [_public(r, exclude={"answers"}) for r in responses],
        # Staff's handling of the person's request to be contacted; who handled it is staff's.
        "follow_ups": [_public(f, exclude={"owner_id", "notified_to"}) for f in follow_ups],
        "opt_outs": [
            {"opted_out": o.opted_out, "source": o.source, "at": o.created_at.isoformat()}
            for o in opt_outs
        ],
        "kept_after_erasure": "the opt-out log (as keyed hashes) and anonymous answers",
    }


def _public(row: Any, exclude: set[str]) -> dict[str, Any]:
    data = row.model_dump(exclude=exclude)
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}
