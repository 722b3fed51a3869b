"""Sampling decisions, surveys, their identifiers, and responses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Index,
    SmallInteger,
    Text,
    text,
)
from sqlmodel import Field, SQLModel

from survey.models.columns import created_field, timestamp_field
from survey.models.enums import DeliveryStatus, ResponseStatus
from survey.store.types import BigId, key_string, partial_index


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
    decided_at: datetime = created_field()
    last_closed_at: datetime = timestamp_field(index=True)
    # The local (Europe/Stockholm) date of last_closed_at: reports bucket undrawn cases by it.
    closed_local_date: date | None = None
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
    closed_at: datetime = timestamp_field()
    closed_local_date: date
    closed_week: str = Field(max_length=8)
    closed_month: str = Field(max_length=7)
    questionnaire: str = Field(default="default", max_length=40)
    # The A1.2 b and c items the survey asks, comma-separated (matrix sampling, survey/matrix.py);
    # None: every question of its questionnaire.
    asked_items: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = created_field()
    send_at: datetime = timestamp_field()
    first_send_at: datetime = timestamp_field()
    delivery_status: str = Field(default=DeliveryStatus.scheduled, max_length=16)
    cancel_cause: str | None = Field(default=None, max_length=16)  # a CancelCause
    response_status: str = Field(default=ResponseStatus.pending, max_length=16)
    attempts: int = 0
    lease_until: datetime | None = timestamp_field(nullable=True)
    # When the last send was claimed (it starts at once): bounds when the provider got it.
    attempted_at: datetime | None = timestamp_field(nullable=True)
    # When reconciliation found no such message at the provider and let it be sent again:
    # that happens once at most (SPEC section 6).
    reconcile_retried_at: datetime | None = timestamp_field(nullable=True)
    provider_message_id: str | None = Field(default=None, max_length=100)
    # Why it was not sent (or not yet): free text with any address replaced by a placeholder,
    # the provider's code (Twilio error code, SMTP reply code), an ErrorCategory, and for SMTP
    # the ErrorPhase.
    last_error: str | None = Field(default=None, max_length=500)
    error_code: int | None = None
    error_category: str | None = Field(default=None, max_length=32)
    error_phase: str | None = Field(default=None, max_length=16)
    sent_at: datetime | None = timestamp_field(nullable=True)
    delivered_at: datetime | None = timestamp_field(nullable=True)
    opened_at: datetime | None = timestamp_field(nullable=True)
    # The latest view through a one-tap link of the e-mail (?overall=N): its time and score,
    # all that the scanner-burst rule needs (respondent/one_tap.py).
    tapped_at: datetime | None = timestamp_field(nullable=True)
    tapped_overall: int | None = Field(default=None, sa_type=SmallInteger)
    responded_at: datetime | None = timestamp_field(nullable=True)
    reminder_due_at: datetime | None = timestamp_field(nullable=True)
    reminder_sent_at: datetime | None = timestamp_field(nullable=True)
    expires_at: datetime | None = timestamp_field(nullable=True)


class SurveyIdentifier(SQLModel, table=True):
    """The keyed hashes of the surveyed customer's identifiers (frequency cap, opt-out)."""

    __tablename__ = "survey_identifier"

    survey_id: int = Field(sa_type=BigId, foreign_key="survey.id", primary_key=True)
    identifier_hash: str = Field(
        max_length=64, sa_type=key_string(64), primary_key=True, index=True
    )
    kind: str = Field(max_length=8)
    closed_at: datetime = timestamp_field()


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

    # The follow-up job's read: the consented answers of the last days (survey.followups).
    __table_args__ = (
        partial_index("ix_response_consented", "submitted_at", where="contact_consent"),
    )

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    survey_id: int = Field(sa_type=BigId, foreign_key="survey.id", unique=True)
    questionnaire: str = Field(max_length=40)
    questionnaire_version: int
    submitted_at: datetime = created_field()
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
    # "You may contact me about my answers": optional, not scored, in no statistic; only with
    # it does anything about this one answer reach anyone (the follow-up list).
    # (A default in the schema too: rows inserted by SQL, as the benchmarks load them, get it.)
    contact_consent: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Answers to the items the survey did not ask, given on the thank-you page: kept apart from
    # the typed columns, so that the per-item statistics hold to the matrix design (they come
    # from respondents who chose to go on). Given once; None: none given.
    volunteered: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
