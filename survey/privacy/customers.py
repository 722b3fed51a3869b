"""GDPR: what is kept about a customer (access), erasure on request, and the retention purge.

What stays after erasure or purge, and why: the opt-out log (keyed hashes only; it honours the
customer's objection) and the survey answers without contact details or free text (anonymous
statistics). Contact details, survey addresses, message copies and comments go.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlmodel import Session, col

from survey.accounts.accounts import audit
from survey.errors import ServiceError
from survey.identifiers import identifier_hashes
from survey.intake.schemas import normalise_email, normalise_phone
from survey.models import Contact, OptOut, OutboxMessage, Response, Survey, SurveyIdentifier

_CUSTOMER_FIELDS = ("customer_phone", "customer_email", "customer_ref")


@dataclass(frozen=True)
class CustomerQuery:
    phone: str | None = None
    email: str | None = None
    ref: str | None = None

    @classmethod
    def parse(cls, phone: str | None, email: str | None, ref: str | None) -> CustomerQuery:
        """Normalise as ingestion does; exactly one identifier is asked for at a time."""
        given = [v for v in (phone, email, ref) if v and v.strip()]
        if len(given) != 1:
            raise ServiceError("give exactly one of phone, email or ref")
        try:
            return cls(
                phone=normalise_phone(phone) if phone else None,
                email=normalise_email(email) if email else None,
                ref=ref.strip() if ref else None,
            )
        except ValueError as exc:
            raise ServiceError(str(exc)) from None

    def label(self) -> str:
        return "phone" if self.phone else "email" if self.email else "ref"


def _contact_filter(query: CustomerQuery) -> Any:
    if query.phone:
        return col(Contact.customer_phone) == query.phone
    if query.email:
        return col(Contact.customer_email) == query.email
    return col(Contact.customer_ref) == query.ref


def _survey_ids(session: Session, query: CustomerQuery, hashes: list[str]) -> list[int]:
    by_hash = select(col(SurveyIdentifier.survey_id)).where(
        col(SurveyIdentifier.identifier_hash).in_(hashes)
    )
    by_contact = (
        select(col(Survey.id))
        .join(Contact, col(Contact.id) == col(Survey.contact_id))
        .where(_contact_filter(query))
    )
    ids = set(session.scalars(by_hash)) | set(session.scalars(by_contact))
    return sorted(i for i in ids if i is not None)


def _hashes(key: str, query: CustomerQuery) -> list[str]:
    return list(identifier_hashes(key, query.phone, query.email, query.ref))


def export_customer(
    session: Session, query: CustomerQuery, *, identifier_key: str, who: str
) -> dict[str, Any]:
    """Everything kept about the customer with this identifier (GDPR article 15)."""
    hashes = _hashes(identifier_key, query)
    contacts = session.scalars(
        select(Contact).where(_contact_filter(query)).order_by(col(Contact.closed_at))
    ).all()
    survey_ids = _survey_ids(session, query, hashes)
    surveys = session.scalars(select(Survey).where(col(Survey.id).in_(survey_ids))).all()
    responses = session.scalars(
        select(Response).where(col(Response.survey_id).in_(survey_ids))
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
        "opt_outs": [
            {"opted_out": o.opted_out, "source": o.source, "at": o.created_at.isoformat()}
            for o in opt_outs
        ],
        "kept_after_erasure": "the opt-out log (as keyed hashes) and anonymous answers",
    }


def _public(row: Any, exclude: set[str]) -> dict[str, Any]:
    data = row.model_dump(exclude=exclude)
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}


@dataclass(frozen=True)
class ErasureResult:
    contacts: int
    surveys: int
    comments: int


def erase_customer(
    session: Session, query: CustomerQuery, *, identifier_key: str, now: datetime, who: str
) -> ErasureResult:
    """Erase the customer's personal data (GDPR article 17); scheduled surveys are cancelled."""
    hashes = _hashes(identifier_key, query)
    survey_ids = _survey_ids(session, query, hashes)
    contacts = session.execute(
        update(Contact)
        .where(_contact_filter(query))
        .values(customer_phone=None, customer_email=None, customer_ref=None, purged_at=now)
    ).rowcount  # type: ignore[attr-defined]
    _forget_surveys(session, survey_ids, now=now)
    comments = session.execute(
        update(Response)
        .where(col(Response.survey_id).in_(survey_ids), col(Response.comment).is_not(None))
        .values(comment=None)
    ).rowcount  # type: ignore[attr-defined]
    audit(
        session,
        who=who,
        action="customer.erase",
        subject=query.label(),
        contacts=contacts,
        surveys=len(survey_ids),
        comments=comments,
    )
    session.commit()
    return ErasureResult(contacts=contacts, surveys=len(survey_ids), comments=comments)


def _forget_surveys(session: Session, survey_ids: list[int], *, now: datetime) -> None:
    if not survey_ids:
        return
    session.execute(
        update(Survey)
        .where(col(Survey.id).in_(survey_ids), col(Survey.delivery_status) == "scheduled")
        .values(delivery_status="cancelled", last_error="customer data erased")
    )
    session.execute(update(Survey).where(col(Survey.id).in_(survey_ids)).values(to_address=None))
    session.execute(delete(SurveyIdentifier).where(col(SurveyIdentifier.survey_id).in_(survey_ids)))
    session.execute(delete(OutboxMessage).where(col(OutboxMessage.survey_id).in_(survey_ids)))


@dataclass(frozen=True)
class PurgeResult:
    contacts: int
    surveys: int
    messages: int
    comments: int


def purge_expired(session: Session, *, retention_days: int, now: datetime) -> PurgeResult:
    """Remove contact details and message copies older than the retention period."""
    cutoff = now - timedelta(days=retention_days)
    contacts = session.execute(
        update(Contact)
        .where(
            col(Contact.closed_at) < cutoff,
            col(Contact.purged_at).is_(None),
            or_(*(col(getattr(Contact, f)).is_not(None) for f in _CUSTOMER_FIELDS)),
        )
        .values(customer_phone=None, customer_email=None, customer_ref=None, purged_at=now)
    ).rowcount  # type: ignore[attr-defined]
    old_surveys = select(col(Survey.id)).where(col(Survey.closed_at) < cutoff)
    surveys = session.execute(
        update(Survey)
        .where(col(Survey.closed_at) < cutoff, col(Survey.to_address).is_not(None))
        .values(to_address=None)
    ).rowcount  # type: ignore[attr-defined]
    messages = session.execute(
        delete(OutboxMessage).where(col(OutboxMessage.created_at) < cutoff)
    ).rowcount  # type: ignore[attr-defined]
    comments = session.execute(
        update(Response)
        .where(col(Response.survey_id).in_(old_surveys), col(Response.comment).is_not(None))
        .values(comment=None)
    ).rowcount  # type: ignore[attr-defined]
    if contacts or surveys or messages or comments:
        audit(
            session,
            who="system",
            action="retention.purge",
            contacts=contacts,
            surveys=surveys,
            messages=messages,
            comments=comments,
        )
    session.commit()
    return PurgeResult(contacts, surveys, messages, comments)
