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
        self.slice = max(1, self.places // 4)
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

    def free(self, recorded: int = 0) -> int:
        """Places for a new slice, once `recorded` more outcomes are committed. A slice of one
        per outcome would cost a commit per message: wait for a few places (a quarter of
        them) unless nothing is in flight."""
        in_flight = self.in_flight - recorded
        free = self.places - in_flight
        return free if free >= self.slice or not in_flight else 0

    def paced(self, channel: str, now: float) -> int:
        """How many more of the channel's messages may start now: the k-th at k / rate."""
        return int((now - self.begin) * self.rates[channel]) + 1 - self.started[channel]

    def claim_more(self, session: Session, recorded: int) -> list[Message]:
        """Claim slices in the session (committed with the outcomes just recorded); the free
        places are shared among the channels with surveys due, so that none waits on another."""
        claimed: list[Message] = []
        open_channels = [c for c in self.rates if c not in self.exhausted]
        for index, channel in enumerate(open_channels):
            free = self.free(recorded) - len(claimed)
            share = -(-free // (len(open_channels) - index))  # the rest, shared out (ceiling)
            wanted = min(
                share,
                self.paced(channel, time.monotonic()),
                self.limits[channel] - self.taken[channel],
            )
            if wanted <= 0:
                continue
            got = self.claim(session, channel, wanted)
            self.taken[channel] += got.taken
            if got.taken < wanted or self.taken[channel] >= self.limits[channel]:
                self.exhausted.add(channel)
            self.started[channel] += len(got.messages)
            claimed += got.messages
        return claimed

    def _task(self, message: Message) -> None:
        self.finished.put((message, send_one(self.channels[message.channel], message)))

    def wait_seconds(self) -> float:
        """Until the next message may start (if a slice may be claimed), at most WAIT_SECONDS."""
        if not self.claiming() or not self.free():
            return WAIT_SECONDS
        now = time.monotonic()
        starts = [
            self.begin + self.started[c] / self.rates[c]
            for c in self.rates
            if c not in self.exhausted
        ]
        return max(0.0, min([WAIT_SECONDS, *(start - now for start in starts)]))

    def outcomes(self) -> Outcomes:
        """Wait a little for an outcome; take all that have arrived."""
        done: Outcomes = []
        try:
            done.append(self.finished.get(timeout=self.wait_seconds()))
            while True:
                done.append(self.finished.get_nowait())
        except queue.Empty:
            pass
        return done

    def step(self, pool: Executor) -> None:
        """Record the outcomes that arrived and claim the next slices, in one transaction;
        then hand the claimed messages to the senders."""
        done = self.outcomes()
        claimed: list[Message] = []
        with self.ctx.session() as session:
            if done:
                self.record(session, done, self.ctx.now())
            if self.claiming():
                claimed = self.claim_more(session, len(done))
            session.commit()  # the claim is durable before any provider call: at most once
        self.in_flight += len(claimed) - len(done)
        self.recorded += len(done)
        for message in claimed:
            pool.submit(self._task, message)


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
            run.step(pool)
            if not run.in_flight and not run.claiming():
                break
    return run.recorded
