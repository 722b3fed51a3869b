"""Test data. Contacts go in through the ingest service where it matters; surveys can be made
directly (as if the sampler had scheduled them) for delivery, respondent and report tests."""

from __future__ import annotations

import contextlib
import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from survey.context import Context
from survey.identifiers import identifier_hashes
from survey.models import (
    CASE_HANDLING_ITEMS,
    CONTACT_EXPERIENCE_ITEMS,
    Actor,
    Case,
    Contact,
    DeliveryStatus,
    PolicyVersion,
    ResponseStatus,
    SamplingDecision,
    Survey,
    SurveyIdentifier,
)
from survey.sampling.policy import current_policy

STOCKHOLM = ZoneInfo("Europe/Stockholm")
_seq = itertools.count(1)


def set_policy(ctx: Context, **values: Any) -> None:
    """The stored policy with `values` (policy keys) as if it had been so from the start: test
    setup for a second process whose policy differs, now that the environment no longer sets it
    (a real change is `change_policy`, audited and in force from its moment)."""
    with ctx.session() as session:
        for version in session.scalars(select(PolicyVersion)):
            version.values = {**version.values, **values}
        session.commit()
        ctx.policy = current_policy(session)


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
    values.setdefault("closed_local_date", local_date(values["closed_at"]))
    contact = Contact(**values)
    session.add(contact)
    case = session.get(Case, contact.case_ref)
    if case is None:
        case = Case(
            case_ref=contact.case_ref,
            first_opened_at=contact.opened_at,
            last_closed_at=contact.closed_at,
            last_closed_local_date=contact.closed_local_date,
            contact_count=1,
        )
        session.add(case)
    else:
        case.last_closed_at = max(case.last_closed_at, contact.closed_at)
        case.last_closed_local_date = max(case.last_closed_local_date, contact.closed_local_date)
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
        closed_local_date=local.date(),
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


def make_api_key(ctx: Context, actor_name: str = "in-house", *scopes: str) -> str:
    """A new actor (if needed) and an API key for it (contacts and opt-outs unless scopes given)."""
    from survey import accounts
    from survey.errors import Conflict

    with ctx.session() as session:
        with contextlib.suppress(Conflict):
            accounts.create_actor(session, name=actor_name, who="test")
        return accounts.create_api_key(session, actor_name=actor_name, scopes=scopes, who="test")


def make_organisation_key(ctx: Context, label: str = "head-office", *scopes: str) -> str:
    """An organisation key (no actor) with the scopes given (privacy unless given)."""
    from survey import accounts

    with ctx.session() as session:
        return accounts.create_organisation_key(
            session, label=label, scopes=scopes or ("privacy",), who="test"
        )


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def make_response(session: Session, survey: Survey, **answers: Any) -> Any:
    """An answered questionnaire for a survey (overall 4 unless given); the survey is answered."""
    from survey.models import Response

    values: dict[str, Any] = {"overall": 4}
    values.update(answers)
    response = Response(
        survey_id=survey.id,
        questionnaire="default",
        questionnaire_version=1,
        answers={k: v for k, v in values.items() if k != "comment"},
        **values,
    )
    session.add(response)
    survey.delivery_status = DeliveryStatus.delivered
    survey.response_status = (
        ResponseStatus.answered if values.get("overall") is not None else survey.response_status
    )
    session.add(survey)
    session.commit()
    return response


def seed_report_data(ctx: Context, session: Session, *, surveys: int = 90, seed: int = 7) -> None:
    """Surveys and answers spread over March-April 2026 (across the DST change), several actors,
    teams, agents and channels, every delivery and response status, and partial answers. Two
    surveys in three ask 4 of the A1.2 b and c items (matrix sampling), the rest all of them;
    a survey never has a score for an item it did not ask."""
    import random

    rng = random.Random(seed)
    # A second generator for the asked items, so that the rest of the data stays as it was.
    matrix = random.Random(seed + 1)
    rotating = (*CONTACT_EXPERIENCE_ITEMS, *CASE_HANDLING_ITEMS, "resolution", "fcr")
    actors = [make_actor(session, f"actor-{name}-{seed}") for name in ("in", "out")]
    items = (*CONTACT_EXPERIENCE_ITEMS, *CASE_HANDLING_ITEMS)
    for _ in range(surveys):
        subset = None if matrix.random() < 1 / 3 else set(matrix.sample(rotating, 4))
        closed = utc(2026, 3, 18) + timedelta(minutes=rng.randrange(0, 60 * 24 * 30))
        delivery = rng.choice(["sent", "delivered", "delivered", "failed", "unknown", "scheduled"])
        status = "pending"
        if delivery in ("sent", "delivered"):
            status = rng.choice(["answered", "answered", "answered", "declined", "expired"])
            status = rng.choice([status, status, "opted_out", "opened"])
        survey = make_survey(
            ctx,
            session,
            actor=rng.choice(actors),
            delivery_status=delivery,
            response_status=status,
            asked_items=None if subset is None else ",".join(i for i in rotating if i in subset),
            contact={
                "closed_at": closed,
                "team": rng.choice(["team-a", "team-b", "team-c", None]),
                "agent": rng.choice([f"agent-{i}" for i in range(1, 6)]),
                "channel": rng.choice(["phone", "email", "chat"]),
                "case_type": rng.choice(["billing", "delivery"]),
                "customer_language": rng.choice(["sv", "sv", "en"]),
            },
        )
        if status == "answered" or (status == "opened" and rng.random() < 0.3):
            answers: dict[str, Any] = {
                item: rng.choice([1, 2, 3, 4, 5, 5, 4, None]) for item in items
            }
            answers["overall"] = None if status == "opened" else rng.choice([1, 2, 3, 4, 4, 5, 5])
            answers["resolution"] = rng.choice(["yes", "partly", "no", None])
            answers["fcr"] = rng.choice(["yes", "no", None])
            answers["comment"] = rng.choice([None, "=HYPERLINK(1)", "Bra service, tack!"])
            if subset is not None:
                answers.update({item: None for item in rotating if item not in subset})
            make_response(session, survey, **answers)
            survey.delivery_status = delivery
            survey.response_status = status
            session.add(survey)
            session.commit()


def bulk_contacts(
    ctx: Context, *, contacts: int, cases: int, seed: int = 1, base: datetime | None = None
) -> None:
    """Many contacts and their case rows at once (concurrency tests, benchmarks)."""
    with ctx.session() as session:
        actors = [make_actor(session, f"bulk-{seed}-{i}") for i in range(3)]
    case_rows, rows = bulk_rows(actors, contacts=contacts, cases=cases, seed=seed, base=base)
    with ctx.engine.begin() as connection:
        for table, values in ((Case, case_rows), (Contact, rows)):
            for start in range(0, len(values), 5000):
                connection.execute(
                    table.__table__.insert(),  # type: ignore[attr-defined]
                    values[start : start + 5000],
                )


def bulk_rows(
    actors: list[Actor], *, contacts: int, cases: int, seed: int, base: datetime | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Case rows and contact rows for bulk_contacts, in the order they would arrive.

    Customers recur across cases (so the frequency cap matters), a few contacts are
    do_not_survey, e-mail only, unreachable or imported long after closure.
    """
    import random

    rng = random.Random(seed)
    base = base or datetime(2026, 3, 1, tzinfo=UTC)
    customers = max(1, cases // 3)
    rows: list[dict[str, Any]] = []
    case_rows: dict[str, dict[str, Any]] = {}
    for n in range(contacts):
        ref = f"BULK-{seed}-{n if n < cases else rng.randrange(cases)}"
        customer = rng.randrange(customers)
        closed = base + timedelta(seconds=rng.randrange(2 * 86400))
        roll = rng.random()
        rows.append(
            {
                "actor_id": rng.choice(actors).id,
                "external_id": f"bulk-{seed}-{n}",
                "case_ref": ref,
                "channel": rng.choice(["phone", "email", "chat", "sms"]),
                "opened_at": closed - timedelta(minutes=10),
                "closed_at": closed,
                "closed_local_date": local_date(closed),
                "received_at": closed + timedelta(hours=100 if roll < 0.01 else 0, minutes=1),
                "agent": f"agent-{rng.randrange(40)}",
                "team": f"team-{rng.randrange(6)}",
                "case_type": "billing",
                "complaint": False,
                "do_not_survey": 0.01 <= roll < 0.03,
                "customer_phone": None if 0.03 <= roll < 0.10 else f"+4670{customer:07d}",
                "customer_email": None if roll < 0.05 else f"c{customer}@example.se",
                "customer_language": "sv",
                "customer_ref": None,
                "content_hash": f"bulk{n}",
            }
        )
        case = case_rows.setdefault(
            ref,
            {
                "case_ref": ref,
                "first_opened_at": closed,
                "last_closed_at": closed,
                "last_closed_local_date": local_date(closed),
                "contact_count": 0,
                "updated_at": closed,
            },
        )
        case["first_opened_at"] = min(case["first_opened_at"], closed - timedelta(minutes=10))
        case["last_closed_at"] = max(case["last_closed_at"], closed)
        case["last_closed_local_date"] = local_date(case["last_closed_at"])
        case["contact_count"] += 1
    # In the order ingestion would store them: contacts as they arrive, each case when its
    # first contact does (so the tables' physical order follows time, as in production), and
    # case references numbered as a ticket system numbers cases: in the order they open.
    rows.sort(key=lambda row: (row["received_at"], row["external_id"]))
    opened = dict.fromkeys(row["case_ref"] for row in rows)
    numbered = {ref: f"BULK-{seed}-{i:07d}" for i, ref in enumerate(opened)}
    for row in rows:
        row["case_ref"] = numbered[row["case_ref"]]
    return [{**case_rows[ref], "case_ref": number} for ref, number in numbered.items()], rows


def make_suppressed_decision(session: Session, contact: Contact, reason: str) -> None:
    """A drawn case's decision that a rule suppressed (no survey), as the sampler writes it."""
    session.add(
        SamplingDecision(
            case_ref=contact.case_ref,
            last_closed_at=contact.closed_at,
            closed_local_date=local_date(contact.closed_at),
            drawn=True,
            reason=reason,
            rate="1",
            key_fingerprint="0" * 64,
        )
    )
    session.commit()
