"""Each job run, timed and recorded in job_run, whichever process ran it (for /metrics)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from survey.context import Context
from survey.models import JobRun


def timed_run(ctx: Context, name: str, target: Any) -> Any:
    """Run `target(ctx)`, then record how long it took and whether it succeeded."""
    started_at, began = ctx.now(), time.monotonic()
    succeeded = False
    try:
        result = target(ctx)
        succeeded = True
        return result
    finally:
        record_job_run(ctx, name, started_at, time.monotonic() - began, succeeded)


def record_job_run(
    ctx: Context, name: str, started_at: Any, seconds: float, succeeded: bool
) -> None:
    values = {"started_at": started_at, "seconds": seconds, "succeeded": succeeded}
    for _ in range(2):  # a first run of two schedulers at once: the loser updates instead
        with ctx.session() as session:
            updated = session.execute(
                update(JobRun)
                .where(col(JobRun.name) == name)
                .values(
                    **values,
                    runs=col(JobRun.runs) + 1,
                    failures=col(JobRun.failures) + (0 if succeeded else 1),
                )
            )
            if updated.rowcount:  # type: ignore[attr-defined]
                session.commit()
                return
            session.add(JobRun(name=name, runs=1, failures=0 if succeeded else 1, **values))
            try:
                session.commit()
                return
            except IntegrityError:
                session.rollback()
