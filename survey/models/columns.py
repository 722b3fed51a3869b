"""Column helpers of the models: timezone-aware timestamps."""

from __future__ import annotations

from typing import Any

from sqlmodel import Field

from survey.db import utcnow
from survey.store.types import UTCDateTime


def timestamp_field(nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_type=UTCDateTime(),
        nullable=nullable,
        index=index,
    )


def created_field() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
