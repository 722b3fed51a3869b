"""The quality manager's records: comments marked handled, and targets per KPI."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from survey.models.columns import created_field
from survey.store.types import BigId


class CommentHandling(SQLModel, table=True):
    """An answer's comment marked handled: by whom, when, with a note (at most one per
    survey; marking it again replaces the note). The note goes with the comment on erasure
    and retention."""

    __tablename__ = "comment_handling"

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    survey_id: int = Field(sa_type=BigId, foreign_key="survey.id", unique=True)
    note: str | None = Field(default=None, sa_type=Text)
    handled_by: str = Field(max_length=254)
    handled_at: datetime = created_field()


class Target(SQLModel, table=True):
    """A KPI's target: the organisation's default (no actor), or an override for an actor, or
    for an actor's team. `scope` is "*", "<actor id>" or "<actor id>/<team>": one target per
    KPI and scope, guarded by the database (NULL actor or team would not be)."""

    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("kpi", "scope"),)

    id: int | None = Field(default=None, primary_key=True)
    kpi: str = Field(max_length=32)
    scope: str = Field(max_length=120)
    actor_id: int | None = Field(default=None, foreign_key="actor.id")
    team: str | None = Field(default=None, max_length=100)
    value: float
    changed_by: str = Field(max_length=254)
    changed_at: datetime = created_field()
