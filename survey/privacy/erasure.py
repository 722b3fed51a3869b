"""Erasure on request (GDPR article 17).

What stays, and why: the opt-out log (keyed hashes only; it honours the customer's objection)
and the survey answers without contact details, free text or provider texts (anonymous
statistics).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col

from survey.accounts.audit_log import audit
from survey.models import (
    Contact,
    ErrorCategory,
    OutboxMessage,
    Response,
    Survey,
    SurveyIdentifier,
)
from survey.privacy.query import CustomerQuery, contact_filter, hashes_of, survey_ids


@dataclass(frozen=True)
class ErasureResult:
    contacts: int
    surveys: int
    comments: int


def erase_customer(
    session: Session, query: CustomerQuery, *, identifier_key: str, now: datetime, who: str
) -> ErasureResult:
    """Erase the customer's personal data (GDPR article 17); scheduled surveys are cancelled."""
    hashes = hashes_of(identifier_key, query)
    ids = survey_ids(session, query, hashes)
    contacts = session.execute(
        update(Contact)
        .where(contact_filter(query))
        .values(customer_phone=None, customer_email=None, customer_ref=None, purged_at=now)
    ).rowcount  # type: ignore[attr-defined]
    cancelled = _forget_surveys(session, ids, now=now)
    comments = session.execute(
        update(Response)
        .where(col(Response.survey_id).in_(ids), col(Response.comment).is_not(None))
        .values(comment=None)
    ).rowcount  # type: ignore[attr-defined]
    audit(
        session,
        who=who,
        action="customer.erase",
        subject=query.label(),
        contacts=contacts,
        surveys=len(ids),
        comments=comments,
    )
    for survey_id, case_ref in cancelled:  # a stop after the draw is a recorded fact
        audit(
            session,
            who=who,
            action="survey.cancelled",
            subject=case_ref,
            survey_id=survey_id,
            cause="erasure",
        )
    session.commit()
    return ErasureResult(contacts=contacts, surveys=len(ids), comments=comments)


def _forget_surveys(
    session: Session, survey_ids: list[int], *, now: datetime
) -> list[tuple[int, str]]:
    """Cancel what was still to be sent and forget the addresses; the cancelled surveys."""
    if not survey_ids:
        return []
    # The provider's texts go with the address (they may quote it); codes and categories stay.
    session.execute(
        update(Survey)
        .where(col(Survey.id).in_(survey_ids))
        .values(to_address=None, last_error=None)
    )
    cancelled = session.execute(
        update(Survey)
        .where(col(Survey.id).in_(survey_ids), col(Survey.delivery_status) == "scheduled")
        .values(
            delivery_status="cancelled",
            last_error="customer data erased",
            error_code=None,
            error_category=ErrorCategory.erased,
            error_phase=None,
        )
        .returning(col(Survey.id), col(Survey.case_ref))
    ).all()
    session.execute(delete(SurveyIdentifier).where(col(SurveyIdentifier.survey_id).in_(survey_ids)))
    session.execute(delete(OutboxMessage).where(col(OutboxMessage.survey_id).in_(survey_ids)))
    return [(survey_id, case_ref) for survey_id, case_ref in cancelled]
