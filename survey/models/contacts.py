"""Closed contacts and the cases they belong to."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Index,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from survey.models.columns import created_field, timestamp_field
from survey.store.types import BigId, key_string, partial_index


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
    opened_at: datetime | None = timestamp_field(nullable=True)
    closed_at: datetime = timestamp_field()
    # The local (Europe/Stockholm) date of closed_at, fixed at ingest: the KPIs count the
    # contact under it (its day, ISO week and month), as the reports count a survey.
    closed_local_date: date
    received_at: datetime = created_field()
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
    purged_at: datetime | None = timestamp_field(nullable=True)


class Case(SQLModel, table=True):
    """All contacts with the same case_ref, whatever actor; kept current at ingestion."""

    __tablename__ = "customer_case"
    # Only the cases waiting for their draw, in the order they are drawn: the index stays as
    # small as the backlog (not every case ever closed), and a claimed case leaves it.
    __table_args__ = (
        partial_index(
            "ix_customer_case_undecided", "last_closed_at", "case_ref", where="decided_at IS NULL"
        ),
    )

    case_ref: str = Field(max_length=200, sa_type=key_string(200), primary_key=True)
    first_opened_at: datetime | None = timestamp_field(nullable=True)
    last_closed_at: datetime = timestamp_field()
    last_closed_local_date: date  # the local date of last_closed_at
    contact_count: int = 0
    updated_at: datetime = created_field()
    decided_at: datetime | None = timestamp_field(nullable=True)
