"""At most SURVEY_REPORT_CONCURRENCY report computations at once per process, each statement
at most SURVEY_REPORT_TIMEOUT_SECONDS on PostgreSQL.

A report reads many rows; on two cores a few at once would starve the survey pages, which
customers are waiting for. Beyond the cap a request gets 503 with Retry-After at once, rather
than queueing behind the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask.typing import ResponseReturnValue

from survey.web.app import context, db_session
from survey.web.errors import problem

RETRY_AFTER_SECONDS = 5
View = TypeVar("View", bound=Callable[..., ResponseReturnValue])
_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


def _semaphore(limit: int) -> threading.BoundedSemaphore:
    with _lock:
        return _slots.setdefault(limit, threading.BoundedSemaphore(limit))


def report_slot(view: View | None = None, *, writes: bool = False) -> Any:
    """Run the view in one of the process's report slots, or answer 503 when all are taken.

    The view's transaction only reads unless `writes` (an audited download): on SQLite a
    report would otherwise hold the write lock, and every survey answer wait, until it ends.
    """
    if view is None:
        return lambda inner: _slotted(inner, writes=writes)
    return _slotted(view, writes=writes)


def _slotted(view: View, *, writes: bool) -> View:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        slots = _semaphore(context().settings.report_concurrency)
        if not slots.acquire(blocking=False):
            response = problem(
                503,
                "Service Unavailable",
                "the reports are busy; try again in a few seconds",
            )
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        try:
            session = db_session()
            ctx = context()
            if not writes:
                ctx.store.read_only(session)
            ctx.store.limit_statement_time(session, ctx.settings.report_timeout_seconds)
            return view(*args, **kwargs)
        except Exception as exc:
            if not context().store.is_statement_timeout(exc):
                raise
            db_session().rollback()
            return problem(
                503,
                "Service Unavailable",
                "the report took too long; choose a shorter period or fewer groups",
            )
        finally:
            slots.release()

    return wrapper  # type: ignore[return-value]
