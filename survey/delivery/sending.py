"""Send due messages concurrently (threads), paced per channel, claiming a slice at a time.

At any moment at most `dispatch_concurrency` claimed messages lack a recorded outcome: a slice
is claimed only for free places and only when the channel's rate lets it start, and a place is
free again once its outcome is committed. A process killed mid-run therefore leaves at most
that many surveys `sending` (then `unknown`), never the rest of the run's share.
"""

from __future__ import annotations

import logging
import queue
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime

from sqlmodel import Session

from survey.channels.base import Channel, Message, SendResult
from survey.context import Context
from survey.delivery.claim import ClaimSlice, channel_rates, claim_limit
from survey.models import ErrorCategory

log = logging.getLogger(__name__)

Outcomes = list[tuple[Message, SendResult]]
Recorder = Callable[[Session, Outcomes, datetime], None]
WAIT_SECONDS = 0.25  # the longest wait for an outcome before looking at the pace again


def send_one(channel: Channel, message: Message) -> SendResult:
    """The channel's answer; an error no channel foresaw is `unknown` (it may have gone out)."""
    try:
        return channel.send(message)
    except Exception as exc:
        log.exception("sending survey %s failed unexpectedly", message.survey_id)
        return SendResult.unknown(
            f"unexpected error: {type(exc).__name__}", category=ErrorCategory.unexpected
        )


class _Run:
    """One run's state: what each channel has claimed and started, and what is in flight."""

    def __init__(
        self,
        ctx: Context,
        channels: dict[str, Channel],
        claim: ClaimSlice,
        record: Recorder,
        run_seconds: float,
        batch_limit: int,
    ) -> None:
        self.ctx, self.channels, self.claim, self.record = ctx, channels, claim, record
        rates = channel_rates(ctx.settings)
        self.rates = {name: rate for name, rate in rates.items() if name in channels}
        self.limits = {n: claim_limit(r, run_seconds, batch_limit) for n, r in self.rates.items()}
        self.places = ctx.settings.dispatch_concurrency
        self.begin = time.monotonic()
        self.deadline = self.begin + run_seconds
        self.taken: Counter[str] = Counter()  # due rows used up, per channel
        self.started: Counter[str] = Counter()  # messages handed to the provider, per channel
        self.exhausted: set[str] = set()  # nothing more due (or the run's share reached)
        self.in_flight = 0  # claimed, outcome not yet committed
        self.recorded = 0
        self.finished: queue.Queue[tuple[Message, SendResult]] = queue.Queue()

    def claiming(self) -> bool:
        return (
            not self.ctx.stopping.is_set()
            and time.monotonic() < self.deadline
            and len(self.exhausted) < len(self.rates)
        )

    def paced(self, channel: str, now: float) -> int:
        """How many more of the channel's messages may start now: the k-th at k / rate."""
        return int((now - self.begin) * self.rates[channel]) + 1 - self.started[channel]

    def claim_more(self, pool: Executor) -> None:
        for channel in self.rates:
            free = self.places - self.in_flight
            if channel in self.exhausted or free <= 0:
                continue
            wanted = min(
                free,
                self.paced(channel, time.monotonic()),
                self.limits[channel] - self.taken[channel],
            )
            if wanted <= 0:
                continue
            got = self.claim(channel, wanted)
            self.taken[channel] += got.taken
            if got.taken < wanted or self.taken[channel] >= self.limits[channel]:
                self.exhausted.add(channel)
            for message in got.messages:
                self.in_flight += 1
                self.started[channel] += 1
                pool.submit(self._task, message)

    def _task(self, message: Message) -> None:
        self.finished.put((message, send_one(self.channels[message.channel], message)))

    def wait_seconds(self) -> float:
        """Until the next message may start (if a place is free), at most WAIT_SECONDS."""
        if not self.claiming() or self.in_flight >= self.places:
            return WAIT_SECONDS
        now = time.monotonic()
        starts = [
            self.begin + self.started[c] / self.rates[c]
            for c in self.rates
            if c not in self.exhausted
        ]
        return max(0.0, min([WAIT_SECONDS, *(start - now for start in starts)]))

    def collect(self) -> None:
        """Wait a little for outcomes; record all that arrived in one transaction."""
        done: Outcomes = []
        try:
            done.append(self.finished.get(timeout=self.wait_seconds()))
            while True:
                done.append(self.finished.get_nowait())
        except queue.Empty:
            pass
        if not done:
            return
        with self.ctx.session() as session:
            self.record(session, done, self.ctx.now())
            session.commit()
        self.in_flight -= len(done)
        self.recorded += len(done)


def deliver(
    ctx: Context,
    channels: dict[str, Channel],
    claim: ClaimSlice,
    record: Recorder,
    *,
    run_seconds: float,
    batch_limit: int,
) -> int:
    """Claim and send slice by slice for `run_seconds` (or until nothing is due or the process
    is stopping); `record` stores outcomes as they come. Returns the outcomes recorded."""
    run = _Run(ctx, channels, claim, record, run_seconds, batch_limit)
    # On an error (the database gone), nothing more is claimed or started; the sends in flight
    # finish as the pool closes, and their surveys stay `sending`, then `unknown`: never twice.
    with ThreadPoolExecutor(run.places, "dispatch") as pool:
        while True:
            if run.claiming():
                run.claim_more(pool)
            if not run.in_flight and not run.claiming():
                break
            run.collect()
    return run.recorded
