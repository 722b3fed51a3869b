"""Every periodic job in one table; each job is thin: it calls one use case, returns its counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jobs import (
    dispatch,
    expire,
    followups,
    purge,
    reconcile,
    remind,
    reports,
    sample,
    snapshot,
)
from survey.context import Context


@dataclass(frozen=True)
class Job:
    name: str
    target: Callable[[Context], Any]  # called with the Context; returns a count or a dict
    seconds: int | None = None  # an interval trigger...
    cron: dict[str, Any] | None = None  # ...or a cron trigger (Europe/Stockholm)


# One line per job. `survey jobs run-once NAME` runs one synchronously; `all` runs them in order.
JOBS: list[Job] = [
    Job("sample", sample.run, seconds=60),
    Job("dispatch", dispatch.run, seconds=20),
    Job("remind", remind.run, seconds=300),
    Job("reconcile", reconcile.run, seconds=300),
    Job("expire", expire.run, seconds=900),
    Job("followups", followups.run, seconds=120),
    Job("snapshot", snapshot.run, cron={"hour": 6, "minute": 15}),
    Job("reports", reports.run, cron={"hour": 6, "minute": 45}),
    Job("purge", purge.run, cron={"hour": 3, "minute": 30}),
]


def job_names() -> list[str]:
    return [job.name for job in JOBS]


def get_job(name: str) -> Job:
    for job in JOBS:
        if job.name == name:
            return job
    raise KeyError(name)
