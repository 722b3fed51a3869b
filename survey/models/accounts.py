"""Actors, their API keys, and admin users."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from survey.models.columns import created_field, timestamp_field


class Actor(SQLModel, table=True):
    """A unit or company that handles contacts for the organisation."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    created_at: datetime = created_field()


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="actor.id", index=True)
    prefix: str = Field(max_length=16)
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
    created_at: datetime = created_field()
