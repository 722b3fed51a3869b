"""The scheduler process: APScheduler running the job table, never inside web workers."""

from __future__ import annotations

import logging
import signal
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs import JOBS, Job
from survey.context import Context
from survey.logs import configure_logging
from survey.store import leases

log = logging.getLogger(__name__)
TZ = "Europe/Stockholm"
SCHEDULER_LEASE = timedelta(seconds=90)


class SchedulerRefused(Exception):
    pass


def run_scheduler(ctx: Context) -> None:
    configure_logging()
    me = leases.holder_id()
    # Where schedulers cannot share the database (SQLite), one holds a lease and others stop.
    leased = not ctx.store.several_schedulers
    if leased and not leases.acquire(ctx.store, "scheduler", me, SCHEDULER_LEASE, now=ctx.now()):
        raise SystemExit(
            "another scheduler is running on this SQLite database; only one may run "
            "(use PostgreSQL to run several)"
        )
    scheduler = BlockingScheduler(timezone=TZ)
    for job in JOBS:
        scheduler.add_job(
            _runner(ctx, job),
            _trigger(job),
            id=job.name,
            name=job.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=60,
        )
    if leased:
        scheduler.add_job(
            lambda: leases.acquire(ctx.store, "scheduler", me, SCHEDULER_LEASE, now=ctx.now()),
            IntervalTrigger(seconds=30),
            id="scheduler-lease",
            name="scheduler-lease",
        )

    def _stop(*_: Any) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, _stop)
    log.info("scheduler started with %d jobs", len(JOBS))
    try:
        scheduler.start()
    finally:
        if leased:
            leases.release(ctx.store, "scheduler", me)


def _trigger(job: Job) -> Any:
    if job.cron is not None:
        return CronTrigger(timezone=TZ, **job.cron)
    return IntervalTrigger(seconds=job.seconds or 60)


def _runner(ctx: Context, job: Job) -> Any:
    def run() -> None:
        try:
            result = job.target(ctx)
            log.info("job %s: %s", job.name, result)
        except Exception:
            log.exception("job %s failed", job.name)

    return run
