"""Actors, their API keys, and admin users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from survey.models.columns import created_field, timestamp_field


class Actor(SQLModel, table=True):
    """A unit or company that handles contacts for the organisation."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    created_at: datetime = created_field()


class ApiKey(SQLModel, table=True):
    """An actor's key (actor_id set) or an organisation key (label set, no actor)."""

    __tablename__ = "api_key"
    __table_args__ = (CheckConstraint("(actor_id IS NULL) <> (label IS NULL)", name="one_owner"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="actor.id", index=True)
    label: str | None = Field(default=None, max_length=100)
    # Space-separated, in ApiScope order; who may hold which is survey.accounts.api_keys's rule.
    scopes: str = Field(max_length=100)
    prefix: str = Field(max_length=16, unique=True)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_field()
    revoked_at: datetime | None = timestamp_field(nullable=True)


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    active: bool = True
    # Part of every login session; raised by logout and deactivation, which ends the sessions.
    session_version: int = 0
    created_at: datetime = created_field()
