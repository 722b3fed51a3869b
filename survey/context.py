"""What a web request, a job run and a CLI command share: settings, store, sessions, clock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from survey.config import Settings, load_settings
from survey.db import utcnow
from survey.store import Store, open_store

if TYPE_CHECKING:
    from survey.sampling.policy import Policy


@dataclass
class Context:
    settings: Settings
    store: Store
    now: Callable[[], datetime] = field(default=utcnow)
    # The stored policy in force when the process started (survey.startup). Jobs and reports
    # read the versions in force themselves; this spares the survey page a read per view.
    policy: Policy | None = None
    # Set when the process is asked to stop (SIGTERM): a job ends after the slice in flight.
    stopping: threading.Event = field(default_factory=threading.Event)

    def session(self) -> AbstractContextManager[Session]:
        return self.store.session()

    def started_policy(self) -> Policy:
        """The stored policy read at start; RuntimeError on a context that was not started."""
        if self.policy is None:
            raise RuntimeError("the context was built without reading the stored policy")
        return self.policy

    @property
    def engine(self) -> Engine:
        return self.store.engine


def build_context(overrides: dict[str, Any] | None = None) -> Context:
    settings = load_settings(overrides)
    # An error's message leaves out the statement's parameters: they can be a customer's phone
    # number or comment, and errors are logged.
    store = open_store(settings.database_url, hide_parameters=True)
    return Context(settings=settings, store=store)
