"""Test data. Contacts go in through the ingest service where it matters; surveys can be made
directly (as if the sampler had scheduled them) for delivery, respondent and report tests."""

from __future__ import annotations

import contextlib
import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from survey.context import Context
from survey.identifiers import identifier_hashes
from survey.models import (
    Actor,
    Case,
    Contact,
    DeliveryStatus,
    ResponseStatus,
    SamplingDecision,
    Survey,
    SurveyIdentifier,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
_seq = itertools.count(1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def contact_payload(**overrides: Any) -> dict[str, Any]:
    """One item of POST /api/v1/contacts, valid unless overridden."""
    n = next(_seq)
    closed = (
        overrides.pop("closed_at", None) or (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    )
    payload: dict[str, Any] = {
        "external_id": f"ext-{n}",
        "case_ref": f"CASE-{n}",
        "channel": "phone",
        "closed_at": closed,
        "agent": "agent-1",
        "team": "team-a",
        "case_type": "billing",
        "customer": {"phone": "+46701234567", "language": "sv"},
    }
    payload.update(overrides)
    return payload


def make_actor(session: Session, name: str | None = None) -> Actor:
    actor = Actor(name=name or f"actor-{next(_seq)}")
    session.add(actor)
    session.commit()
    return actor


def make_contact(session: Session, actor: Actor, **fields: Any) -> Contact:
    """A stored contact and its case row, as ingestion leaves them."""
    n = next(_seq)
    closed = fields.pop("closed_at", None) or datetime.now(UTC) - timedelta(hours=2)
    values: dict[str, Any] = {
        "actor_id": actor.id,
        "external_id": f"ext-{n}",
        "case_ref": f"CASE-{n}",
        "channel": "phone",
        "closed_at": closed,
        "opened_at": closed - timedelta(minutes=5),
        "received_at": closed + timedelta(minutes=1),
        "agent": "agent-1",
        "team": "team-a",
        "case_type": "billing",
        "customer_phone": "+46701234567",
        "customer_language": "sv",
        "content_hash": f"h{n}",
    }
    values.update(fields)
    contact = Contact(**values)
    session.add(contact)
    case = session.get(Case, contact.case_ref)
    if case is None:
        case = Case(
            case_ref=contact.case_ref,
            first_opened_at=contact.opened_at,
            last_closed_at=contact.closed_at,
            contact_count=1,
        )
        session.add(case)
    else:
        case.last_closed_at = max(case.last_closed_at, contact.closed_at)
        case.contact_count += 1
    session.commit()
    return contact


def make_survey(ctx: Context, session: Session, **fields: Any) -> Survey:
    """A scheduled survey as the sampler would leave it (case, contact, decision and survey).

    Keyword arguments override Survey fields; `contact` overrides go in `contact={...}` and
    `actor` may name an existing Actor.
    """
    actor = fields.pop("actor", None) or make_actor(session)
    contact_fields = fields.pop("contact", {})
    contact = make_contact(session, actor, **contact_fields)
    local = contact.closed_at.astimezone(STOCKHOLM)
    iso = local.isocalendar()
    decision = SamplingDecision(
        case_ref=contact.case_ref,
        last_closed_at=contact.closed_at,
        drawn=True,
        reason="selected",
        rate="1",
        key_fingerprint="0" * 64,
    )
    session.add(decision)
    session.flush()
    email = contact.customer_email
    by_phone = bool(contact.customer_phone) and contact.channel in ("phone", "sms")
    send_channel = "sms" if by_phone or not email else "email"
    values: dict[str, Any] = {
        "case_ref": contact.case_ref,
        "decision_id": decision.id,
        "contact_id": contact.id,
        "actor_id": actor.id,
        "agent": contact.agent,
        "team": contact.team,
        "channel": contact.channel,
        "case_type": contact.case_type,
        "language": contact.customer_language,
        "send_channel": send_channel,
        "to_address": contact.customer_phone if send_channel == "sms" else email,
        "closed_at": contact.closed_at,
        "closed_local_date": local.date(),
        "closed_week": f"{iso.year}-W{iso.week:02d}",
        "closed_month": f"{local.year}-{local.month:02d}",
        "send_at": contact.closed_at + timedelta(hours=1),
        "first_send_at": contact.closed_at + timedelta(hours=1),
        "delivery_status": DeliveryStatus.scheduled,
        "response_status": ResponseStatus.pending,
    }
    values.update(fields)
    survey = Survey(**values)
    session.add(survey)
    case = session.get(Case, contact.case_ref)
    assert case is not None
    case.decided_at = contact.closed_at + timedelta(minutes=2)
    session.flush()
    assert survey.id is not None
    for digest, kind in identifier_hashes(
        ctx.settings.identifier_key,
        contact.customer_phone,
        contact.customer_email,
        contact.customer_ref,
    ).items():
        session.add(
            SurveyIdentifier(
                survey_id=survey.id, identifier_hash=digest, kind=kind, closed_at=contact.closed_at
            )
        )
    session.commit()
    return survey


def local_date(moment: datetime) -> date:
    return moment.astimezone(STOCKHOLM).date()


def make_api_key(ctx: Context, actor_name: str = "in-house") -> str:
    """A new actor (if needed) and an API key for it."""
    from survey.services import accounts
    from survey.services.errors import Conflict

    with ctx.session() as session:
        with contextlib.suppress(Conflict):
            accounts.create_actor(session, name=actor_name, who="test")
        return accounts.create_api_key(session, actor_name=actor_name, who="test")
