"""Which customer a data-protection request is about: one identifier, normalised as at intake,
the identifiers seen with it on one contact (one hop), and the contacts and surveys that lead to
them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import false, or_, select
from sqlmodel import Session, col

from survey.errors import ServiceError
from survey.identifiers import (
    customer_identifiers,
    identifier_hash,
    normalise_email,
    normalise_phone,
)
from survey.models import Contact, IdentifierKind, Survey, SurveyIdentifier

CUSTOMER_FIELDS = ("customer_phone", "customer_email", "customer_ref")
IDENTIFIER_COLUMNS = {
    IdentifierKind.phone: Contact.customer_phone,
    IdentifierKind.email: Contact.customer_email,
    IdentifierKind.ref: Contact.customer_ref,
}


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

    def identifiers(self) -> list[Identifier]:
        return [Identifier(kind, value) for kind, value in customer_identifiers(*self.values())]

    def values(self) -> tuple[str | None, str | None, str | None]:
        return self.phone, self.email, self.ref


@dataclass(frozen=True)
class Identifier:
    """One normalised identifier of a customer: a phone number, an e-mail address or a ref."""

    kind: IdentifierKind
    value: str

    def hash(self, key: str) -> str:
        return identifier_hash(key, self.kind, self.value)

    def order(self) -> tuple[int, str]:
        """Phone numbers, then e-mail addresses, then refs."""
        return list(IDENTIFIER_COLUMNS).index(self.kind), self.value


def contact_filter(query: CustomerQuery) -> Any:
    return identifiers_filter(query.identifiers())


def identifiers_filter(identifiers: Iterable[Identifier]) -> Any:
    """Contacts that carry any of the identifiers."""
    by_kind: dict[IdentifierKind, list[str]] = {}
    for item in identifiers:
        by_kind.setdefault(item.kind, []).append(item.value)
    clauses = [col(IDENTIFIER_COLUMNS[kind]).in_(values) for kind, values in by_kind.items()]
    return or_(*clauses) if clauses else false()


def one_hop(session: Session, query: CustomerQuery) -> list[Identifier]:
    """The given identifier and those seen with it on one contact; never further, so that a
    shared household phone or an info@ address does not lead on to strangers."""
    rows = session.execute(
        select(
            col(Contact.customer_phone), col(Contact.customer_email), col(Contact.customer_ref)
        ).where(contact_filter(query))
    ).all()
    found = set(query.identifiers())
    for phone, email, ref in rows:
        pairs = customer_identifiers(phone, email, ref)
        found.update(Identifier(kind, value) for kind, value in pairs)
    return sorted(found, key=Identifier.order)


def contact_ids(session: Session, identifiers: list[Identifier]) -> list[int]:
    query = select(col(Contact.id)).where(identifiers_filter(identifiers))
    return sorted(session.scalars(query))


def survey_ids(
    session: Session, query: CustomerQuery | list[Identifier], hashes: list[str]
) -> list[int]:
    identifiers = query.identifiers() if isinstance(query, CustomerQuery) else query
    by_hash = select(col(SurveyIdentifier.survey_id)).where(
        col(SurveyIdentifier.identifier_hash).in_(hashes)
    )
    by_contact = (
        select(col(Survey.id))
        .join(Contact, col(Contact.id) == col(Survey.contact_id))
        .where(identifiers_filter(identifiers))
    )
    ids = set(session.scalars(by_hash)) | set(session.scalars(by_contact))
    return sorted(i for i in ids if i is not None)


def hashes_of(key: str, query: CustomerQuery) -> list[str]:
    return [item.hash(key) for item in query.identifiers()]
