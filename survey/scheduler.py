"""The scheduler process: APScheduler running the job table, never inside web workers."""

from __future__ import annotations

import logging
import signal
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs import JOBS, Job
from survey.context import Context
from survey.logs import configure_logging
from survey.sampling.draw import STOCKHOLM

log = logging.getLogger(__name__)
TZ = STOCKHOLM  # cron times are the organisation's local times


def run_scheduler(ctx: Context) -> None:
    configure_logging()
    # The store says whether another scheduler may share the database (then the slot is free).
    slot = ctx.store.scheduler_slot(ctx.now)
    if not slot.take():
        raise SystemExit(slot.refusal)
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
    if slot.renew_seconds:
        scheduler.add_job(
            slot.renew,
            IntervalTrigger(seconds=slot.renew_seconds),
            id="scheduler-slot",
            name="scheduler-slot",
        )

    def _stop(*_: Any) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, _stop)
    log.info("scheduler started with %d jobs", len(JOBS))
    try:
        scheduler.start()
    finally:
        slot.release()


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
