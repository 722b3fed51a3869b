"""Rate limits: the survey and opt-out pages per link or per client address, admin logins per
address and per account.

The pages: a request for a survey's own link (its token's MAC checks; no database is asked)
counts against that link alone, so nobody else's traffic can keep a customer from the survey or
the opt-out; a request for a link that is none of ours counts against the client's address (token
guessing). Admin logins: every attempt counts against the address, and a wrong password also
against the account from that address, which then refuses that address only (for at most an
hour). Nothing counts an account across addresses: whoever could fill such a count would lock
the account's owner out; guessing from many addresses is held back by each address's budget and
by the cost of argon2.

The client address is the connection's peer, or with SURVEY_TRUSTED_PROXIES the address the
proxies in front report (ProxyFix, in survey.web.app). All is counted by RateLimiter, on the
`limits` library's public API, in the storage named by SURVEY_RATELIMIT_STORAGE_URL (memory:// by
default; production with several web processes needs a shared one: see storage_problem).
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable
from typing import cast

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from survey.config import Settings
from survey.keyed import hmac_sha256
from survey.tokens import read_token

log = logging.getLogger(__name__)

RATE_LIMITED_BLUEPRINTS = ("survey",)
# The budget per address that /s/ and /o/ share for links that are none of ours.
PUBLIC_SCOPE = "public-pages"
# The budget of one survey's link, on all of its pages.
LINK_SCOPE = "survey-link"
# Every well-formed attempt from one address, whichever account it names.
ADMIN_LOGIN_LIMIT = "10/minute;100/day"
# Its scope is the endpoint's name, the key Flask-Limiter gave it: counts in Redis carry over.
ADMIN_LOGIN = "admin.login"
# Wrong passwords for one account from one address: a person who mistypes is not stopped.
ACCOUNT_FAILURE_LIMIT = "5/minute;20/hour"
ACCOUNT_SCOPE = "admin.login.account"
# After a storage failure, count in memory for this long before asking the storage again.
STORAGE_RETRY_SECONDS = 5.0
# Retry-After when the storage cannot say when the broken window ends.
UNKNOWN_RETRY_AFTER = 60

# Asks the storage about each limit under the keys; returns the limit that refuses, if any.
Check = Callable[
    [FixedWindowRateLimiter, list[RateLimitItem], tuple[str, ...]], RateLimitItem | None
]


def init_app(app: Flask) -> None:
    """Call after the blueprints are registered (the limits go by blueprint name)."""
    settings = app.extensions["survey"].settings
    limiter = RateLimiter(settings.ratelimit_storage_url)
    pages = functools.partial(
        _count_page, limiter, limit_items(settings.ratelimit_public), settings.secret_key
    )
    for name in RATE_LIMITED_BLUEPRINTS:
        if name in app.blueprints:
            # (The blueprint is shared by every app, so the hook goes on this app, by name.)
            # First of the blueprint's hooks: a refused form token counts against the budget.
            app.before_request_funcs.setdefault(name, []).insert(0, pages)
    app.extensions["survey_limiter"] = limiter


def storage_problem(settings: Settings, workers: int) -> str | None:
    """Why the web cannot start with this storage and number of worker processes, if it cannot:
    in production, several workers counting in their own memory would each allow the limits."""
    if settings.env != "production" or workers <= 1:
        return None
    if not settings.ratelimit_storage_url.startswith("memory:"):
        return None
    return (
        f"SURVEY_RATELIMIT_STORAGE_URL is {settings.ratelimit_storage_url}: each of the "
        f"{workers} web workers would count the rate limits on its own, multiplying them. "
        "Set it to a shared storage (redis://host:6379/0) or run one worker (--workers 1)."
    )


def limit_items(limits: str) -> list[RateLimitItem]:
    """The limits of a setting such as "60/minute;1000/hour", shortest window first."""
    return sorted(parse_many(limits))


LOGIN_ITEMS = limit_items(ADMIN_LOGIN_LIMIT)
ACCOUNT_FAILURE_ITEMS = limit_items(ACCOUNT_FAILURE_LIMIT)


def client_address() -> str:
    """The address a request is counted under (after ProxyFix, when proxies are trusted)."""
    return request.remote_addr or "127.0.0.1"


def _count_page(limiter: RateLimiter, items: list[RateLimitItem], secret_key: str) -> None:
    """Count a request for /s/ or /o/: per link when the token is ours, else per address."""
    survey_id = read_token(secret_key, (request.view_args or {}).get("token", ""))
    if survey_id is None:
        limiter.check(items, PUBLIC_SCOPE)
    else:
        limiter.check(items, LINK_SCOPE, key=str(survey_id))


def check_login(email: str) -> None:
    """Before the password is checked: count the attempt against the address, and refuse it
    (429) when the address has used up its attempts or its wrong passwords for this account."""
    limiter: RateLimiter = current_app.extensions["survey_limiter"]
    limiter.check(LOGIN_ITEMS, ADMIN_LOGIN)
    limiter.refuse_when_spent(ACCOUNT_FAILURE_ITEMS, ACCOUNT_SCOPE, key=_account_key(email))


def login_failed(email: str) -> None:
    """Count a wrong password against the account, from this address."""
    limiter: RateLimiter = current_app.extensions["survey_limiter"]
    limiter.count(ACCOUNT_FAILURE_ITEMS, ACCOUNT_SCOPE, key=_account_key(email))


def _account_key(email: str) -> str:
    """The account and the address: a keyed hash, so that the storage holds no e-mail address."""
    secret = current_app.extensions["survey"].settings.secret_key
    account = hmac_sha256(secret.encode(), f"login:{email.strip().lower()}".encode()).hex()[:32]
    return f"{client_address()}/{account}"


class RateLimiter:
    """Fixed-window limits per client address (or another key), each under a scope of its own.

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
        return functools.partial(self.check, limit_items(limits), scope)

    def check(self, items: list[RateLimitItem], scope: str, key: str | None = None) -> None:
        """Count this request against each limit, under `key` (default: the client's address);
        TooManyRequests when one is broken."""
        self._refuse(_hit, items, (key or client_address(), scope))

    def refuse_when_spent(self, items: list[RateLimitItem], scope: str, key: str) -> None:
        """TooManyRequests when a limit is used up, without counting this request."""
        self._refuse(_spent, items, (key, scope))

    def count(self, items: list[RateLimitItem], scope: str, key: str) -> None:
        """Count an event (such as a wrong password) against each limit; never refuses."""
        self._run(_hit_all, items, (key, scope))

    def _refuse(self, check: Check, items: list[RateLimitItem], keys: tuple[str, ...]) -> None:
        strategy, broken = self._run(check, items, keys)
        if broken is not None:
            retry_after = _retry_after(strategy, broken, keys)
            raise TooManyRequests(str(broken), retry_after=retry_after)

    def _run(
        self, check: Check, items: list[RateLimitItem], keys: tuple[str, ...]
    ) -> tuple[FixedWindowRateLimiter, RateLimitItem | None]:
        strategy = self.strategy
        if time.monotonic() < self.storage_dead_until:
            strategy = self.fallback
        try:
            return strategy, check(strategy, items, keys)
        except Exception:
            return self._after_failure(strategy, check, items, keys)

    def _after_failure(
        self,
        failed: FixedWindowRateLimiter,
        check: Check,
        items: list[RateLimitItem],
        keys: tuple[str, ...],
    ) -> tuple[FixedWindowRateLimiter, RateLimitItem | None]:
        """Count in memory when the storage fails; when memory fails too, let the request by."""
        if failed is self.fallback:
            log.exception("rate limiting failed: the request goes through")
            return failed, None
        log.warning("rate-limit storage unreachable: counting in memory for a while")
        self.storage_dead_until = time.monotonic() + STORAGE_RETRY_SECONDS
        try:
            return self.fallback, check(self.fallback, items, keys)
        except Exception:
            return self._after_failure(self.fallback, check, items, keys)


def _hit(
    strategy: FixedWindowRateLimiter, items: list[RateLimitItem], keys: tuple[str, ...]
) -> RateLimitItem | None:
    """The first limit (shortest window first) this request breaks; one storage call each."""
    for item in items:
        if not strategy.hit(item, *keys):
            log.info("ratelimit %s (%s) exceeded: %s", item, keys[0], keys[-1])
            return item
    return None


def _hit_all(
    strategy: FixedWindowRateLimiter, items: list[RateLimitItem], keys: tuple[str, ...]
) -> None:
    for item in items:
        strategy.hit(item, *keys)


def _spent(
    strategy: FixedWindowRateLimiter, items: list[RateLimitItem], keys: tuple[str, ...]
) -> RateLimitItem | None:
    for item in items:
        if not strategy.test(item, *keys):
            log.info("ratelimit %s (%s) used up: %s", item, keys[0], keys[-1])
            return item
    return None


def _retry_after(
    strategy: FixedWindowRateLimiter, item: RateLimitItem, keys: tuple[str, ...]
) -> int:
    """Seconds until the broken limit's window resets (asked only of a refused request)."""
    try:
        reset_at = strategy.get_window_stats(item, *keys).reset_time
    except Exception:  # the storage went away between the count and this answer
        log.warning("rate-limit storage unreachable: Retry-After falls back to a minute")
        return UNKNOWN_RETRY_AFTER
    return max(1, math.ceil(reset_at - time.time()))
