"""SQLModel tables and enums; no commits, no I/O."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from survey.db import UTCDateTime, utcnow

# Big integers on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def key_string(length: int) -> Any:
    """A text key (case_ref, identifier hash) in code-point order: COLLATE "C" on PostgreSQL.

    Keys are matched and ordered, never shown sorted to a person. "C" compares bytes, where a
    locale's collation calls strcoll on every comparison in every index; and the sampling order
    (last closure, case_ref in code points, as Python compares) is the column's own order.
    SQLite's default order is already code points.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_type=UTCDateTime(),
        nullable=nullable,
        index=index,
    )


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class Channel(StrEnum):
    phone = "phone"
    chat = "chat"
    email = "email"
    sms = "sms"
    social = "social"
    video = "video"
    visit = "visit"
    other = "other"


class SendChannel(StrEnum):
    sms = "sms"
    email = "email"


class Role(StrEnum):
    admin = "admin"
    analyst = "analyst"


class DecisionReason(StrEnum):
    selected = "selected"
    not_drawn = "not_drawn"
    do_not_survey = "do_not_survey"
    opted_out = "opted_out"
    case_already_surveyed = "case_already_surveyed"
    customer_surveyed_recently = "customer_surveyed_recently"
    too_old = "too_old"
    no_reachable_address = "no_reachable_address"


class DeliveryStatus(StrEnum):
    scheduled = "scheduled"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    failed = "failed"
    unknown = "unknown"
    cancelled = "cancelled"


class ResponseStatus(StrEnum):
    pending = "pending"
    opened = "opened"
    answered = "answered"
    declined = "declined"
    expired = "expired"
    opted_out = "opted_out"


# The states in which a survey can still be answered, declined, reminded of or expired.
OPEN_RESPONSE_STATES = (ResponseStatus.pending, ResponseStatus.opened)


class IdentifierKind(StrEnum):
    phone = "phone"
    email = "email"
    ref = "ref"


class OptOutSource(StrEnum):
    link = "link"
    email_unsubscribe = "email_unsubscribe"
    sms_stop = "sms_stop"
    api = "api"
    provider = "provider"


class Actor(SQLModel, table=True):
    """A unit or company that handles contacts for the organisation."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    created_at: datetime = _created()


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="actor.id", index=True)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _created()
    revoked_at: datetime | None = _ts(nullable=True)


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    active: bool = True
    created_at: datetime = _created()


class Contact(SQLModel, table=True):
    """One closed interaction, as an actor reported it."""

    __table_args__ = (
        UniqueConstraint("actor_id", "external_id"),
        Index("ix_contact_case_ref_closed_at", "case_ref", "closed_at"),
    )

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    actor_id: int = Field(foreign_key="actor.id")
    external_id: str = Field(max_length=200)
    case_ref: str = Field(max_length=200, sa_type=key_string(200))
    channel: str = Field(max_length=16)
    opened_at: datetime | None = _ts(nullable=True)
    closed_at: datetime = _ts()
    received_at: datetime = _created()
    agent: str | None = Field(default=None, max_length=100)
    team: str | None = Field(default=None, max_length=100)
    case_type: str | None = Field(default=None, max_length=100)
    complaint: bool = False
    do_not_survey: bool = False
    do_not_survey_reason: str | None = Field(default=None, max_length=200)
    customer_phone: str | None = Field(default=None, max_length=20)
    customer_email: str | None = Field(default=None, max_length=254)
    customer_language: str = Field(max_length=8)
    customer_ref: str | None = Field(default=None, max_length=200)
    content_hash: str = Field(max_length=64)
    purged_at: datetime | None = _ts(nullable=True)


class Case(SQLModel, table=True):
    """All contacts with the same case_ref, whatever actor; kept current at ingestion."""

    __tablename__ = "customer_case"
    # Only the cases waiting for their draw, in the order they are drawn: the index stays as
    # small as the backlog (not every case ever closed), and a claimed case leaves it.
    __table_args__ = (
        Index(
            "ix_customer_case_undecided",
            "last_closed_at",
            "case_ref",
            postgresql_where=text("decided_at IS NULL"),
            sqlite_where=text("decided_at IS NULL"),
        ),
    )

    case_ref: str = Field(max_length=200, sa_type=key_string(200), primary_key=True)
    first_opened_at: datetime | None = _ts(nullable=True)
    last_closed_at: datetime = _ts()
    contact_count: int = 0
    updated_at: datetime = _created()
    decided_at: datetime | None = _ts(nullable=True)


class SamplingDecision(SQLModel, table=True):
    """One immutable draw per case, with its reason and the policy in force."""

    __tablename__ = "sampling_decision"

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    case_ref: str = Field(
        max_length=200,
        sa_type=key_string(200),
        unique=True,
        foreign_key="customer_case.case_ref",
    )
    decided_at: datetime = _created()
    last_closed_at: datetime = _ts(index=True)
    drawn: bool
    reason: str = Field(max_length=40)
    rate: str = Field(max_length=32)
    key_fingerprint: str = Field(max_length=64)


class Survey(SQLModel, table=True):
    """At most one per case, attributed to the case's last closed contact at scheduling."""

    __table_args__ = (
        Index("ix_survey_due", "delivery_status", "send_at"),
        Index("ix_survey_closed_local_date", "closed_local_date"),
    )

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    case_ref: str = Field(
        max_length=200,
        sa_type=key_string(200),
        unique=True,
        foreign_key="customer_case.case_ref",
    )
    decision_id: int = Field(sa_type=BigId, foreign_key="sampling_decision.id")
    contact_id: int = Field(sa_type=BigId, foreign_key="contact.id")
    actor_id: int = Field(foreign_key="actor.id")
    agent: str | None = Field(default=None, max_length=100)
    team: str | None = Field(default=None, max_length=100)
    channel: str = Field(max_length=16)
    case_type: str | None = Field(default=None, max_length=100)
    language: str = Field(max_length=8)
    send_channel: str = Field(max_length=8)
    to_address: str | None = Field(default=None, max_length=254)
    closed_at: datetime = _ts()
    closed_local_date: date
    closed_week: str = Field(max_length=8)
    closed_month: str = Field(max_length=7)
    questionnaire: str = Field(default="default", max_length=40)
    created_at: datetime = _created()
    send_at: datetime = _ts()
    first_send_at: datetime = _ts()
    delivery_status: str = Field(default=DeliveryStatus.scheduled, max_length=16)
    response_status: str = Field(default=ResponseStatus.pending, max_length=16)
    attempts: int = 0
    lease_until: datetime | None = _ts(nullable=True)
    provider_message_id: str | None = Field(default=None, max_length=100)
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: datetime | None = _ts(nullable=True)
    delivered_at: datetime | None = _ts(nullable=True)
    opened_at: datetime | None = _ts(nullable=True)
    responded_at: datetime | None = _ts(nullable=True)
    reminder_due_at: datetime | None = _ts(nullable=True)
    reminder_sent_at: datetime | None = _ts(nullable=True)
    expires_at: datetime | None = _ts(nullable=True)


class SurveyIdentifier(SQLModel, table=True):
    """The keyed hashes of the surveyed customer's identifiers (frequency cap, opt-out)."""

    __tablename__ = "survey_identifier"

    survey_id: int = Field(sa_type=BigId, foreign_key="survey.id", primary_key=True)
    identifier_hash: str = Field(
        max_length=64, sa_type=key_string(64), primary_key=True, index=True
    )
    kind: str = Field(max_length=8)
    closed_at: datetime = _ts()


# The default question ids with their own columns on Response (SPEC section 4), by A1.2 part.
CONTACT_EXPERIENCE_ITEMS = (
    "response_time",
    "manner",
    "clarity",
    "knowledge",
    "engagement",
    "proactivity",
)
CASE_HANDLING_ITEMS = ("efficiency", "follow_up", "time_taken")
SCALE_ITEMS = ("overall", *CONTACT_EXPERIENCE_ITEMS, *CASE_HANDLING_ITEMS)
RESOLUTION_CHOICES = ("yes", "partly", "no")
FCR_CHOICES = ("yes", "no")


class Response(SQLModel, table=True):
    """Answers to a versioned questionnaire; the default question ids have their own columns."""

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    survey_id: int = Field(sa_type=BigId, foreign_key="survey.id", unique=True)
    questionnaire: str = Field(max_length=40)
    questionnaire_version: int
    submitted_at: datetime = _created()
    overall: int | None = Field(default=None, sa_type=SmallInteger)
    response_time: int | None = Field(default=None, sa_type=SmallInteger)
    manner: int | None = Field(default=None, sa_type=SmallInteger)
    clarity: int | None = Field(default=None, sa_type=SmallInteger)
    knowledge: int | None = Field(default=None, sa_type=SmallInteger)
    engagement: int | None = Field(default=None, sa_type=SmallInteger)
    proactivity: int | None = Field(default=None, sa_type=SmallInteger)
    efficiency: int | None = Field(default=None, sa_type=SmallInteger)
    follow_up: int | None = Field(default=None, sa_type=SmallInteger)
    time_taken: int | None = Field(default=None, sa_type=SmallInteger)
    resolution: str | None = Field(default=None, max_length=8)
    fcr: str | None = Field(default=None, max_length=8)
    comment: str | None = Field(default=None, sa_type=Text)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class OptOut(SQLModel, table=True):
    """Append-only log per identifier hash; the latest entry per identifier wins."""

    __tablename__ = "opt_out"
    __table_args__ = (Index("ix_opt_out_identifier_hash_id", "identifier_hash", "id"),)

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    identifier_hash: str = Field(max_length=64, sa_type=key_string(64))
    kind: str = Field(max_length=8)
    opted_out: bool = True
    source: str = Field(max_length=24)
    agent: str | None = Field(default=None, max_length=100)
    actor_id: int | None = Field(default=None, foreign_key="actor.id")
    survey_id: int | None = Field(default=None, sa_type=BigId, foreign_key="survey.id")
    created_at: datetime = _created()


class OutboxMessage(SQLModel, table=True):
    """A rendered message kept by the outbox backend instead of being sent."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    survey_id: int | None = Field(default=None, sa_type=BigId, foreign_key="survey.id")
    kind: str = Field(default="survey", max_length=16)
    channel: str = Field(max_length=8)
    to_address: str = Field(max_length=254)
    subject: str | None = Field(default=None, max_length=200)
    body: str = Field(sa_type=Text)
    html_body: str | None = Field(default=None, sa_type=Text)
    link: str | None = Field(default=None, max_length=500)
    created_at: datetime = _created()


class PolicyVersion(SQLModel, table=True):
    """The sampling policy from a moment on; a case follows the version in force at its closure."""

    __tablename__ = "policy_version"

    id: int | None = Field(default=None, primary_key=True)
    effective_from: datetime = _ts(index=True)
    values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    changed_by: str = Field(max_length=254)
    reason: str | None = Field(default=None, max_length=500)


class AuditLog(SQLModel, table=True):
    """Who did what, when: policy changes, keys, users, erasures, job outcomes."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    at: datetime = _created()
    who: str = Field(max_length=254)
    action: str = Field(max_length=64, index=True)
    subject: str | None = Field(default=None, max_length=200)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ReportSnapshot(SQLModel, table=True):
    """A stored monthly report, provisional on the month's first day, final when settled."""

    __tablename__ = "report_snapshot"
    __table_args__ = (UniqueConstraint("month", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)
    kind: str = Field(max_length=16)
    created_at: datetime = _created()
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class JobLock(SQLModel, table=True):
    """A lease that makes a job a singleton where the database has no advisory locks (SQLite)."""

    __tablename__ = "job_lock"

    name: str = Field(max_length=64, primary_key=True)
    holder: str = Field(max_length=100)
    expires_at: datetime = _ts()
