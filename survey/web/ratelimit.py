"""Rate limits per client address: one budget for /s/ and /o/ together, one for admin logins.

Both are counted by RateLimiter, on the `limits` library's public API, in the storage named by
SURVEY_RATELIMIT_STORAGE_URL (memory:// by default; Redis when several web processes run).
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable, Collection
from typing import Any, TypeVar, cast

from flask import Flask, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

RATE_LIMITED_BLUEPRINTS = ("survey",)
# The one budget per address that /s/ and /o/ share; part of the storage key.
PUBLIC_SCOPE = "public-pages"
# Password guessing on the admin login, per address; a person who mistypes is not stopped.
ADMIN_LOGIN_LIMIT = "10/minute;100/day"
# Its scope is the endpoint's name, the key Flask-Limiter gave it: counts in Redis carry over.
ADMIN_LOGIN = "admin.login"
# After a storage failure, count in memory for this long before asking the storage again.
STORAGE_RETRY_SECONDS = 5.0
# Retry-After when the storage cannot say when the broken window ends.
UNKNOWN_RETRY_AFTER = 60


def init_app(app: Flask) -> None:
    """Call after the blueprints are registered (the limits go by blueprint and endpoint name)."""
    settings = app.extensions["survey"].settings
    limiter = RateLimiter(settings.ratelimit_storage_url)
    public = limiter.hook(settings.ratelimit_public, PUBLIC_SCOPE)
    for name in RATE_LIMITED_BLUEPRINTS:
        if name in app.blueprints:
            # One budget per address for /s/ and /o/ together: guessing is counted as a whole.
            # (The blueprint is shared by every app, so the hook goes on this app, by name.)
            # First of the blueprint's hooks: a refused form token counts against the budget.
            app.before_request_funcs.setdefault(name, []).insert(0, public)
    # In the view, after the app-wide CSRF check: only a well-formed attempt is counted.
    login = limiter.limit(ADMIN_LOGIN_LIMIT, ADMIN_LOGIN, methods=("POST",))
    app.view_functions[ADMIN_LOGIN] = login(app.view_functions[ADMIN_LOGIN])
    app.extensions["survey_limiter"] = limiter


def client_address() -> str:
    """The address a request is counted under: the connection's peer (no proxy header is read)."""
    return request.remote_addr or "127.0.0.1"


class RateLimiter:
    """Fixed-window limits per client address, each under a scope of its own.

    When the storage fails, requests are counted in memory for STORAGE_RETRY_SECONDS before the
    storage is asked again: an outage neither locks customers out nor lifts the limits. No
    X-RateLimit-* headers: they would cost storage round trips on every page and tell a token
    guesser its budget; a refused request gets Retry-After only.
    """

    def __init__(self, storage_url: str) -> None:
        self.strategy = FixedWindowRateLimiter(cast(Storage, storage_from_string(storage_url)))
        self.fallback = FixedWindowRateLimiter(MemoryStorage())
        self.storage_dead_until = 0.0

    def hook(self, limits: str, scope: str) -> Callable[[], None]:
        """A before_request hook that counts every request against `limits` (e.g. "30/minute")."""
        # A partial, not a closure: the public pages' hook costs no extra Python frame.
        return functools.partial(self.check, sorted(parse_many(limits)), scope)

    def limit(self, limits: str, scope: str, methods: Collection[str]) -> Callable[[F], F]:
        """A view decorator that counts the requests made with one of `methods`."""
        check = self.hook(limits, scope)

        def decorate(view: F) -> F:
            @functools.wraps(view)
            def limited(*args: Any, **kwargs: Any) -> Any:
                if request.method in methods:
                    check()
                return view(*args, **kwargs)

            return cast(F, limited)

        return decorate

    def check(self, items: list[RateLimitItem], scope: str) -> None:
        """Count this request against each limit; TooManyRequests when one is broken."""
        address = client_address()
        strategy = self.strategy
        if time.monotonic() < self.storage_dead_until:
            strategy = self.fallback
        try:
            broken = _hit(strategy, items, address, scope)
        except Exception:
            strategy, broken = self._after_failure(strategy, items, address, scope)
        if broken is not None:
            retry_after = _retry_after(strategy, broken, address, scope)
            raise TooManyRequests(str(broken), retry_after=retry_after)

    def _after_failure(
        self, failed: FixedWindowRateLimiter, items: list[RateLimitItem], address: str, scope: str
    ) -> tuple[FixedWindowRateLimiter, RateLimitItem | None]:
        """Count in memory when the storage fails; when memory fails too, let the request by."""
        if failed is self.fallback:
            log.exception("rate limiting failed: the request goes through")
            return failed, None
        log.warning("rate-limit storage unreachable: counting in memory for a while")
        self.storage_dead_until = time.monotonic() + STORAGE_RETRY_SECONDS
        try:
            return self.fallback, _hit(self.fallback, items, address, scope)
        except Exception:
            return self._after_failure(self.fallback, items, address, scope)


def _hit(
    strategy: FixedWindowRateLimiter, items: list[RateLimitItem], address: str, scope: str
) -> RateLimitItem | None:
    """The first limit (shortest window first) this request breaks; one storage call each."""
    for item in items:
        if not strategy.hit(item, address, scope):
            log.info("ratelimit %s (%s) exceeded: %s", item, address, scope)
            return item
    return None


def _retry_after(
    strategy: FixedWindowRateLimiter, item: RateLimitItem, address: str, scope: str
) -> int:
    """Seconds until the broken limit's window resets (asked only of a refused request)."""
    try:
        reset_at = strategy.get_window_stats(item, address, scope).reset_time
    except Exception:  # the storage went away between the count and this answer
        log.warning("rate-limit storage unreachable: Retry-After falls back to a minute")
        return UNKNOWN_RETRY_AFTER
    return max(1, math.ceil(reset_at - time.time()))
