"""The closed loop and the scheduled reports: follow-ups of customers who consented to be
contacted, where their notices go, and who gets which scheduled report (SPEC section 6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from survey.models.columns import created_field, timestamp_field
from survey.store.types import BigId


class FollowUp(SQLModel, table=True):
    """One per answered survey whose customer consented and whose answers met a rule.

    It holds no contact details of its own: the page reads them from the survey and its contact,
    so that erasure and retention, which clear those, clear them here too. The note is staff's
    free text (it may name the person): erasure and retention clear it."""

    __tablename__ = "follow_up"

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    survey_id: int = Field(sa_type=BigId, foreign_key="survey.id", unique=True)
    created_at: datetime = created_field()
    due_at: datetime = timestamp_field(index=True)
    reasons: str = Field(max_length=100)  # the rules met, space-separated
    status: str = Field(default="open", max_length=16)  # a FollowUpStatus
    owner_id: int | None = Field(default=None, foreign_key="app_user.id")
    note: str | None = Field(default=None, sa_type=Text)
    notified_to: str | None = Field(default=None, max_length=254)
    notified_at: datetime | None = timestamp_field(nullable=True)
    updated_at: datetime | None = timestamp_field(nullable=True)
    purged_at: datetime | None = timestamp_field(nullable=True)


class FollowUpRecipient(SQLModel, table=True):
    """Where an actor's follow-up notices go: per team, or for the whole actor (team "")."""

    __tablename__ = "follow_up_recipient"
    __table_args__ = (UniqueConstraint("actor_id", "team"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="actor.id")
    team: str = Field(default="", max_length=100)
    email: str = Field(max_length=254)


class ReportRecipient(SQLModel, table=True):
    """Who gets the scheduled reports: the organisation's monthly one (scope "organisation") or
    an actor's weekly one (scope "actor:<id>")."""

    __tablename__ = "report_recipient"
    __table_args__ = (UniqueConstraint("scope", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=40)
    email: str = Field(max_length=254)


class ReportDelivery(SQLModel, table=True):
    """A scheduled report claimed for one period and recipient: the unique row is taken before
    the mail goes, so that no scheduler sends it twice."""

    __tablename__ = "report_delivery"
    __table_args__ = (UniqueConstraint("scope", "period", "email"),)

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    scope: str = Field(max_length=40)  # "organisation" or "actor:<id>"
    period: str = Field(max_length=24)  # "2026-W11", "2026-03:final"
    email: str = Field(max_length=254)
    claimed_at: datetime = created_field()
    sent_at: datetime | None = timestamp_field(nullable=True)
    error: str | None = Field(default=None, max_length=200)
