"""A drawn case as the suppression rules see it, and the survey attributed to its last contact."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlmodel import Session

from survey.identifiers import identifier_hashes
from survey.models import DeliveryStatus
from survey.sampling.draw import closure_period, send_channel, send_time
from survey.sampling.policy import PolicyTimeline
from survey.store import Store

Key = tuple[datetime, str]


@dataclass
class CaseView:
    """A drawn case with its contacts, as the suppression rules and the attribution need it."""

    case_ref: str
    last_closed_at: datetime
    # Last closed first: load_contacts reads them in that order.
    contacts: list[Any] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> Key:
        return (self.last_closed_at, self.case_ref)

    @property
    def last(self) -> Any:
        return self.contacts[0]

    def latest(self, attribute: str) -> str | None:
        for contact in self.contacts:
            value = getattr(contact, attribute)
            if value:
                return str(value)
        return None


# What the rules and the attribution read of a contact.
_CONTACT_COLUMNS = (
    "id",
    "case_ref",
    "actor_id",
    "channel",
    "closed_at",
    "received_at",
    "agent",
    "team",
    "case_type",
    "do_not_survey",
    "customer_phone",
    "customer_email",
    "customer_language",
    "customer_ref",
)


def load_contacts(
    store: Store, session: Session, views: Iterable[CaseView], identifier_key: str
) -> None:
    """Each view's contacts, last closed first, and its customer's identifier hashes."""
    by_ref = {view.case_ref: view for view in views}
    if not by_ref:
        return
    for row in store.case_contacts(session, list(by_ref), _CONTACT_COLUMNS):
        view = by_ref[row.case_ref]
        view.contacts.append(row)
        view.hashes.update(
            _hashes(identifier_key, row.customer_phone, row.customer_email, row.customer_ref)
        )


@lru_cache(maxsize=1 << 16)
def _hashes(
    key: str, phone: str | None, email: str | None, ref: str | None
) -> tuple[tuple[str, str], ...]:
    # Customers recur across cases: each HMAC is computed once per process, not per contact.
    return tuple((h, str(kind)) for h, kind in identifier_hashes(key, phone, email, ref).items())


def any_do_not_survey(view: CaseView) -> bool:
    return any(contact.do_not_survey for contact in view.contacts)


def address(view: CaseView) -> tuple[str, str] | None:
    found = send_channel(
        view.last.channel, view.latest("customer_phone"), view.latest("customer_email")
    )
    return (str(found[0]), found[1]) if found else None


def survey_row(
    view: CaseView, timeline: PolicyTimeline, now: datetime, questionnaire: str, asked_items: str
) -> dict[str, Any]:
    """The survey, attributed to the case's last closed contact (SPEC section 2), asking
    `questionnaire` and its `asked_items` of A1.2 b and c (survey/sampling/questionnaires.py)."""
    last = view.last
    policy = timeline.at(view.last_closed_at)
    channel, to_address = address(view) or ("", "")
    local_date, week, month = closure_period(last.closed_at)
    send_at = send_time(view.last_closed_at, policy.send_delay_minutes, policy.quiet)
    return {
        "case_ref": view.case_ref,
        "contact_id": last.id,
        "actor_id": last.actor_id,
        "agent": last.agent,
        "team": last.team,
        "channel": last.channel,
        "case_type": last.case_type,
        "language": last.customer_language,
        "send_channel": channel,
        "to_address": to_address,
        "closed_at": last.closed_at,
        "closed_local_date": local_date,
        "closed_week": week,
        "closed_month": month,
        "questionnaire": questionnaire,
        "asked_items": asked_items,
        "created_at": now,
        "send_at": send_at,
        "first_send_at": send_at,
        "delivery_status": str(DeliveryStatus.scheduled),
        "response_status": "pending",
        "attempts": 0,
    }
