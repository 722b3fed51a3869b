"""RateLimiter on its own: storage calls per request, the memory fallback and Retry-After."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from survey.web.ratelimit import STORAGE_RETRY_SECONDS, RateLimiter


class CountingStorage(MemoryStorage):
    """Memory storage that records each call a rate-limit strategy makes (with Redis, each is a
    round trip), and can fail."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []
        self.down = False
        self.incrementing = False

    def _record(self, name: str) -> None:
        self.calls.append(name)
        if self.down:
            raise ConnectionError("storage down")

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        self._record("incr")
        self.incrementing = True
        try:
            return super().incr(key, expiry, amount)
        finally:
            self.incrementing = False

    def get(self, key: str) -> int:
        if not self.incrementing:  # MemoryStorage's incr reads through get: not a call of its own
            self._record("get")
        return super().get(key)

    def get_expiry(self, key: str) -> float:
        self._record("get_expiry")
        return super().get_expiry(key)


class Clock:
    """time.monotonic, moved on by hand."""

    def __init__(self) -> None:
        self.real = time.monotonic
        self.ahead = 0.0

    def __call__(self) -> float:
        return self.real() + self.ahead


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(time, "monotonic", clock)
    return clock


@pytest.fixture
def storage() -> CountingStorage:
    return CountingStorage()


@pytest.fixture
def limiter(storage: CountingStorage) -> RateLimiter:
    limiter = RateLimiter("memory://")
    limiter.strategy = FixedWindowRateLimiter(storage)
    return limiter


@pytest.fixture
def request_from() -> Iterator[Any]:
    app = Flask(__name__)

    def context(address: str) -> Any:
        return app.test_request_context("/s/x", environ_base={"REMOTE_ADDR": address})

    yield context


def limiter_items(limits: str) -> list[RateLimitItem]:
    return list(parse_many(limits))


def _statuses(check: Any, times: int) -> list[int]:
    statuses = []
    for _ in range(times):
        try:
            check()
            statuses.append(200)
        except TooManyRequests:
            statuses.append(429)
    return statuses


def test_one_storage_call_per_limit_and_request(
    limiter: RateLimiter, storage: CountingStorage, request_from: Any
) -> None:
    check = limiter.hook("60/minute;1000/hour", "public-pages")
    with request_from("10.0.0.1"):
        check()
        check()
    assert storage.calls == ["incr", "incr"] * 2


def test_the_shortest_window_is_counted_first_and_a_breach_stops_the_count(
    limiter: RateLimiter, request_from: Any
) -> None:
    check = limiter.hook("100/day;2/minute", "scope")
    with request_from("10.0.0.1"):
        assert _statuses(check, 3) == [200, 200, 429]
        [day] = limiter_items("100/day")
        stats = limiter.strategy.get_window_stats(day, "10.0.0.1", "scope")
    assert stats.remaining == 98  # the refused request did not reach the day's count


def test_budgets_are_per_address_and_per_scope(limiter: RateLimiter, request_from: Any) -> None:
    public = limiter.hook("2/minute", "public-pages")
    login = limiter.hook("2/minute", "admin.login")
    with request_from("10.0.0.1"):
        assert _statuses(public, 3) == [200, 200, 429]
        assert _statuses(login, 3) == [200, 200, 429]
    with request_from("10.0.0.2"):
        assert _statuses(public, 3) == [200, 200, 429]


def test_a_refusal_says_when_the_window_resets(limiter: RateLimiter, request_from: Any) -> None:
    check = limiter.hook("1/minute", "scope")
    with request_from("10.0.0.1"):
        check()
        with pytest.raises(TooManyRequests) as refused:
            check()
    assert refused.value.description == "1 per 1 minute"
    assert isinstance(refused.value.retry_after, int)
    assert 1 <= refused.value.retry_after <= 60


def test_retry_after_is_a_minute_when_the_storage_goes_away_after_the_count(
    limiter: RateLimiter, request_from: Any, monkeypatch: Any
) -> None:
    check = limiter.hook("1/hour", "scope")

    def gone(*_: Any) -> None:
        raise ConnectionError("storage down")

    monkeypatch.setattr(limiter.strategy, "get_window_stats", gone)
    with request_from("10.0.0.1"):
        check()
        with pytest.raises(TooManyRequests) as refused:
            check()
    assert refused.value.retry_after == 60


def test_an_outage_counts_in_memory_then_asks_the_storage_again(
    limiter: RateLimiter, storage: CountingStorage, request_from: Any, clock: Clock
) -> None:
    check = limiter.hook("3/minute", "scope")
    with request_from("10.0.0.1"):
        check()  # counted in the storage
        storage.down = True
        # The failed call is counted again in memory, and so are the requests after it:
        # the limit still holds, and the dead storage is not asked on every request.
        assert _statuses(check, 4) == [200, 200, 200, 429]
        assert storage.calls == ["incr", "incr"]
        clock.ahead += STORAGE_RETRY_SECONDS + 0.1
        storage.down = False
        check()  # the storage is back: its own count (1 before the outage) goes on
    assert storage.calls == ["incr", "incr", "incr"]
    [item] = limiter_items("3/minute")
    assert limiter.strategy.get_window_stats(item, "10.0.0.1", "scope").remaining == 1


def test_when_memory_fails_too_the_request_goes_through(
    limiter: RateLimiter, storage: CountingStorage, request_from: Any, monkeypatch: Any
) -> None:
    def broken(*_: Any, **__: Any) -> bool:
        raise RuntimeError("no memory either")

    storage.down = True
    monkeypatch.setattr(limiter.fallback, "hit", broken)
    check = limiter.hook("1/minute", "scope")
    with request_from("10.0.0.1"):
        assert _statuses(check, 3) == [200, 200, 200]
    assert storage.calls == ["incr"]  # then memory, for a while


def test_a_refusal_counts_nothing_and_a_count_refuses_nothing(
    limiter: RateLimiter, request_from: Any
) -> None:
    items = limiter_items("2/minute")
    with request_from("10.0.0.1"):
        limiter.refuse_when_spent(items, "scope", key="k")  # nothing spent yet
        for _ in range(3):
            limiter.count(items, "scope", key="k")  # past the limit, and no exception
        with pytest.raises(TooManyRequests) as refused:
            limiter.refuse_when_spent(items, "scope", key="k")
        limiter.refuse_when_spent(items, "scope", key="other")
    assert 1 <= (refused.value.retry_after or 0) <= 60
    stats = limiter.strategy.get_window_stats(items[0], "k", "scope")
    assert stats.remaining == 0


PRODUCTION_ENV = {
    "SURVEY_ENV": "production",
    "SURVEY_SECRET_KEY": "s" * 43,
    "SURVEY_SAMPLING_SECRET": "t" * 43,
    "SURVEY_IDENTIFIER_KEY": "u" * 43,
    "SURVEY_SMS_BACKEND": "twilio",
    "SURVEY_EMAIL_BACKEND": "smtp",
    "SURVEY_SMTP_URL": "smtp://h:25",
    "TWILIO_ACCOUNT_SID": "AC1",
    "TWILIO_AUTH_TOKEN": "t",
    "TWILIO_FROM_NUMBER": "+46700000000",
    "SURVEY_CONTROLLER_NAME": "Exempelbolaget AB",
    "SURVEY_CONTROLLER_CONTACT": "dataskydd@example.se",
    "SURVEY_DATABASE_URL": "sqlite://",
}


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    """`survey web` in production, with gunicorn replaced by a record of what it was given."""
    from click.testing import CliRunner

    from survey.cli import cli
    from survey.commands import run

    for name, value in {**PRODUCTION_ENV, "SURVEY_INSTANCE_PATH": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    served: list[int] = []
    monkeypatch.setattr(run, "_serve", lambda *_, workers, **__: served.append(workers))

    def invoke(*args: str) -> tuple[Any, list[int]]:
        return CliRunner().invoke(cli, ["web", *args]), served

    return invoke


def test_production_refuses_memory_storage_with_several_web_workers(web: Any) -> None:
    result, served = web("--workers", "2")
    assert result.exit_code == 1 and served == []
    assert "SURVEY_RATELIMIT_STORAGE_URL is memory://" in result.output
    assert "each of the 2 web workers would count the rate limits on its own" in result.output


def test_one_worker_or_a_shared_storage_may_start(web: Any, monkeypatch: Any) -> None:
    assert web("--workers", "1")[0].exit_code == 0
    monkeypatch.setenv("SURVEY_RATELIMIT_STORAGE_URL", "redis://127.0.0.1:6379/0")
    result, served = web("--workers", "4")
    assert result.exit_code == 0 and served == [1, 4]


def test_development_may_count_in_memory_with_several_workers(web: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("SURVEY_ENV", "development")
    result, served = web("--workers", "3")
    assert result.exit_code == 0 and served == [3]
