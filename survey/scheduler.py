"""The scheduler process: APScheduler running the job table, never inside web workers.

Its slot (survey.store.leases) is renewed every 30 s and is its heartbeat
(/healthz/scheduler). SIGTERM stops it gracefully: no job starts any more, a dispatch in flight
claims no further slice and records the outcomes of the sends under way, every running job is
waited for, then the slot is released.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs import JOBS, Job
from survey.context import Context
from survey.logs import configure_logging
from survey.monitoring.jobs import timed_run
from survey.sampling.draw import STOCKHOLM
from survey.store.base import SchedulerSlot

log = logging.getLogger(__name__)
TZ = STOCKHOLM  # cron times are the organisation's local times
STOP_WAIT_SECONDS = 120.0  # the longest wait for running jobs after SIGTERM


class Running:
    """The jobs running now, so that a stop can wait for them."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = threading.Condition()

    def __enter__(self) -> None:
        with self.changed:
            self.count += 1

    def __exit__(self, *_: Any) -> None:
        with self.changed:
            self.count -= 1
            self.changed.notify_all()

    def wait_idle(self, seconds: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count == 0, timeout=seconds)


def run_scheduler(ctx: Context) -> None:
    configure_logging()

    def _stop(signum: int, _frame: Any) -> None:
        log.info("scheduler stopping (signal %d): finishing the jobs in flight", signum)
        ctx.stopping.set()

    # First of all, so that a stop at any moment of the start is a graceful one.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    intervals = job_intervals(ctx.settings.job_seconds)
    # The store says whether another scheduler may share the database (then the slot is free).
    slot = ctx.store.scheduler_slot(ctx.now)
    if not slot.take():
        raise SystemExit(slot.refusal)
    running = Running()
    scheduler = _scheduler(ctx, running, slot, intervals)
    scheduler.start()
    log.info("scheduler started with %d jobs", len(JOBS))
    try:
        while not ctx.stopping.wait(1.0):
            pass
    finally:
        scheduler.shutdown(wait=False)
        if not running.wait_idle(STOP_WAIT_SECONDS):
            log.warning("jobs still running after %.0f s; leaving them", STOP_WAIT_SECONDS)
        slot.release()
        log.info("scheduler stopped")


def job_intervals(overrides: dict[str, int]) -> dict[str, int]:
    """Each interval job's seconds, SURVEY_JOB_INTERVALS over the job table's; a name that is
    not an interval job stops the start with a message naming it."""
    intervals = {job.name: job.seconds or 60 for job in JOBS if job.cron is None}
    unknown = sorted(set(overrides) - set(intervals))
    if unknown:
        raise SystemExit(
            f"SURVEY_JOB_INTERVALS: {', '.join(unknown)} is not an interval job; "
            f"choose from {', '.join(intervals)}"
        )
    return {**intervals, **overrides}


def _scheduler(
    ctx: Context, running: Running, slot: SchedulerSlot, intervals: dict[str, int]
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=TZ)
    for job in JOBS:
        scheduler.add_job(
            _runner(ctx, job, running),
            _trigger(job, intervals),
            id=job.name,
            name=job.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=60,
            # Interval jobs run at once on start (a restart does not delay the sends).
            **({"next_run_time": datetime.now(TZ)} if job.cron is None else {}),
        )
    if slot.renew_seconds:
        scheduler.add_job(
            slot.renew,
            IntervalTrigger(seconds=slot.renew_seconds),
            id="scheduler-slot",
            name="scheduler-slot",
        )
    return scheduler


def _trigger(job: Job, intervals: dict[str, int]) -> Any:
    if job.cron is not None:
        return CronTrigger(timezone=TZ, **job.cron)
    return IntervalTrigger(seconds=intervals[job.name])


def _runner(ctx: Context, job: Job, running: Running) -> Any:
    def run() -> None:
        if ctx.stopping.is_set():
            return
        with running:
            try:
                result = timed_run(ctx, job.name, job.target)
                log.info("job %s: %s", job.name, result)
            except Exception:
                log.exception("job %s failed", job.name)

    return run
