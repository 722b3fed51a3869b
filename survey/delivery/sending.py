"""Send many messages concurrently (threads), paced per channel, recording outcomes in batches."""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlmodel import Session

from survey.channels.base import Channel, Message, SendResult
from survey.context import Context
from survey.delivery.claim import channel_rates
from survey.models import ErrorCategory

log = logging.getLogger(__name__)

Outcomes = list[tuple[Message, SendResult]]
Recorder = Callable[[Session, Outcomes, datetime], None]
FLUSH_EVERY = 100  # outcomes
FLUSH_SECONDS = 0.25
NOT_STARTED = "not started before the claim's lease would run out; nothing was sent"


def pace(messages: Iterable[Message], rates: dict[str, float]) -> list[tuple[float, Message]]:
    """Each message with its start offset in seconds: channel by channel at its rate, merged."""
    seen: dict[str, int] = {}
    planned = []
    for message in messages:
        index = seen.get(message.channel, 0)
        seen[message.channel] = index + 1
        planned.append((index / rates[message.channel], message))
    planned.sort(key=lambda item: item[0])
    return planned


def _send_one(channel: Channel, message: Message, start_at: float, latest: float) -> SendResult:
    delay = start_at - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    if time.monotonic() > latest:  # a slow provider: leave the rest for the next run
        return SendResult.retry(NOT_STARTED)
    try:
        return channel.send(message)
    except Exception as exc:  # a bug or an unforeseen error: the request may have gone out
        log.exception("sending survey %s failed unexpectedly", message.survey_id)
        return SendResult.unknown(
            f"unexpected error: {type(exc).__name__}", category=ErrorCategory.unexpected
        )


def deliver(
    ctx: Context,
    channels: dict[str, Channel],
    messages: list[Message],
    record: Recorder,
    *,
    start_within: float,
) -> int:
    """Send every message; `record` stores outcomes in batches (one transaction each).

    A message not started within `start_within` seconds is returned as a retry with
    NOT_STARTED, so that no send outlives the lease of its claim.
    """
    if not messages:
        return 0
    plan = pace(messages, channel_rates(ctx.settings))
    started = time.monotonic()
    latest = started + start_within
    finished: queue.Queue[tuple[Message, SendResult]] = queue.Queue()

    def task(message: Message, start_at: float) -> None:
        finished.put((message, _send_one(channels[message.channel], message, start_at, latest)))

    with ThreadPoolExecutor(ctx.settings.dispatch_concurrency, "dispatch") as pool:
        for offset, message in plan:
            pool.submit(task, message, started + offset)
        try:
            recorded = _collect(ctx, record, finished, len(plan))
        except BaseException:
            # Outcomes can no longer be recorded: start nothing more (those surveys stay
            # `sending` and end `unknown`, never sent twice).
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return recorded


def _collect(
    ctx: Context,
    record: Recorder,
    finished: queue.Queue[tuple[Message, SendResult]],
    remaining: int,
) -> int:
    done: Outcomes = []
    recorded = 0
    last_flush = time.monotonic()
    while remaining:
        try:
            done.append(finished.get(timeout=FLUSH_SECONDS))
            remaining -= 1
        except queue.Empty:
            pass
        due = time.monotonic() - last_flush >= FLUSH_SECONDS
        if done and (len(done) >= FLUSH_EVERY or due or not remaining):
            recorded += _flush(ctx, record, done)
            done = []
            last_flush = time.monotonic()
    return recorded


def _flush(ctx: Context, record: Recorder, outcomes: Outcomes) -> int:
    with ctx.session() as session:
        record(session, outcomes, ctx.now())
        session.commit()
    return len(outcomes)
