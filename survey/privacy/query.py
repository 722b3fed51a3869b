"""Which customer a data-protection request is about: one identifier, normalised as at intake,
and the contacts and surveys that lead to them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from survey.errors import ServiceError
from survey.identifiers import identifier_hashes, normalise_email, normalise_phone
from survey.models import Contact, Survey, SurveyIdentifier

CUSTOMER_FIELDS = ("customer_phone", "customer_email", "customer_ref")


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


def contact_filter(query: CustomerQuery) -> Any:
    if query.phone:
        return col(Contact.customer_phone) == query.phone
    if query.email:
        return col(Contact.customer_email) == query.email
    return col(Contact.customer_ref) == query.ref


def survey_ids(session: Session, query: CustomerQuery, hashes: list[str]) -> list[int]:
    by_hash = select(col(SurveyIdentifier.survey_id)).where(
        col(SurveyIdentifier.identifier_hash).in_(hashes)
    )
    by_contact = (
        select(col(Survey.id))
        .join(Contact, col(Contact.id) == col(Survey.contact_id))
        .where(contact_filter(query))
    )
    ids = set(session.scalars(by_hash)) | set(session.scalars(by_contact))
    return sorted(i for i in ids if i is not None)


def hashes_of(key: str, query: CustomerQuery) -> list[str]:
    return list(identifier_hashes(key, query.phone, query.email, query.ref))
