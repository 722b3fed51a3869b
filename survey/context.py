"""What a web request, a job run and a CLI command share: settings, engine, sessions, clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from survey.config import Settings, load_settings
from survey.db import make_engine, session_scope, utcnow


@dataclass
class Context:
    settings: Settings
    engine: Engine
    now: Callable[[], datetime] = field(default=utcnow)

    def session(self) -> AbstractContextManager[Session]:
        return session_scope(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


def build_context(overrides: dict[str, Any] | None = None) -> Context:
    from survey.delivery.messages import check_sms_fits

    settings = load_settings(overrides)
    check_sms_fits(settings)
    return Context(settings=settings, engine=make_engine(settings.database_url))


def iter_batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
