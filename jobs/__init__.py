"""Every periodic job in one table; each job is thin: query, change, commit, log a count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from survey.context import Context


@dataclass(frozen=True)
class Job:
    name: str
    target: str  # "module:function", called with the Context; returns a count or a dict
    seconds: int | None = None  # an interval trigger...
    cron: dict[str, Any] | None = None  # ...or a cron trigger (Europe/Stockholm)

    def function(self) -> Callable[[Context], Any]:
        module, attribute = self.target.split(":")
        func: Callable[[Context], Any] = getattr(import_module(module), attribute)
        return func


# One line per job. `survey jobs run-once NAME` runs one synchronously; `all` runs them in order.
JOBS: list[Job] = [
    Job("sample", "jobs.sample:run", seconds=60),
    Job("dispatch", "jobs.dispatch:run", seconds=20),
    Job("remind", "jobs.remind:run", seconds=300),
    Job("expire", "jobs.expire:run", seconds=900),
    Job("snapshot", "jobs.snapshot:run", cron={"hour": 6, "minute": 15}),
    Job("purge", "jobs.purge:run", cron={"hour": 3, "minute": 30}),
]


def job_names() -> list[str]:
    return [job.name for job in JOBS]


def get_job(name: str) -> Job:
    for job in JOBS:
        if job.name == name:
            return job
    raise KeyError(name)
