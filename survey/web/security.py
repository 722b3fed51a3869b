"""App-wide protection: CSRF on forms, security headers on every answer, rate limits on /s/ and /o/.

CSRF covers every form. The admin's forms carry Flask-WTF's token, kept in the session cookie; the
respondent's pages (/s/, /o/) carry a token bound to the survey's link and set no cookie (see
survey.web.survey). Exempt are the JSON API and the Twilio webhooks (checked by key and signature)
and the RFC 8058 one-click opt-out, which mail providers post without a token.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import cast

from flask import Blueprint, Flask, Request, Response, abort, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger(__name__)

# The survey blueprint checks its own form token (survey.web.survey.check_form_token).
CSRF_EXEMPT_BLUEPRINTS = ("api", "webhooks", "survey")
RATE_LIMITED_BLUEPRINTS = ("survey",)
# The one budget per address that /s/ and /o/ share (the key Flask-Limiter gave it).
PUBLIC_SCOPE = "public-pages"
# After a storage failure, count in memory for this long before asking the storage again.
STORAGE_RETRY_SECONDS = 5.0
# No inline script or style and no external source: the customer's browser asks nobody else.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
# Pages whose URL carries a survey token are never cached on the way.
PRIVATE_PREFIXES = ("/s/", "/o/")

csrf = CSRFProtect()


class StaffOnlySessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, for the staff's pages only.

    The respondent's pages (/s/, /o/) keep nothing between requests: their forms' token comes
    from the link. They get Flask's null session, which cannot be written, so no code path can
    set a cookie on a customer; nor is a cookie that arrives there read or verified.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(PRIVATE_PREFIXES):
            return None  # Flask then hands out its NullSession
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Call after the blueprints are registered (exemptions and limits go by blueprint name)."""
    settings = app.extensions["survey"].settings
    app.config.update(
        # The page sends no Referer (Referrer-Policy: no-referrer), so the strict HTTPS referrer
        # check would refuse every form; the token and SameSite cookie remain.
        WTF_CSRF_SSL_STRICT=False,
        # A customer may leave the page open for a while before sending.
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.session_interface = StaffOnlySessions()
    csrf.init_app(app)
    for name in CSRF_EXEMPT_BLUEPRINTS:
        if name in app.blueprints:
            csrf.exempt(cast(Blueprint, app.blueprints[name]))
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.ratelimit_storage_url,
        # X-RateLimit-* headers cost two more storage round trips on every page and tell a
        # token guesser its budget; a refused request gets Retry-After (see retry_after).
        headers_enabled=False,
        # A storage outage must not lock customers out: count in memory until it is back.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    # Flask-Limiter keeps only the admin login's decorated limit, which checks in its own
    # wrapper: its per-request hook would look up limits for every page, so it is taken out.
    # The public pages are counted by PublicLimit, one storage call per limit and request.
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)
    # Its response hook only adds the X-RateLimit-* headers, which are turned off above.
    after = app.after_request_funcs.get(None, [])
    after[:] = [hook for hook in after if not _is_limiter_headers_hook(hook)]
    public = PublicLimit(settings.ratelimit_storage_url, settings.ratelimit_public)
    for name in RATE_LIMITED_BLUEPRINTS:
        if name in app.blueprints:
            # One budget per address for /s/ and /o/ together: guessing is counted as a whole.
            # (The blueprint is shared by every app, so the hook goes on this app, by name.)
            # First of the blueprint's hooks: a refused form token counts against the budget.
            app.before_request_funcs.setdefault(name, []).insert(0, public.check)
    app.extensions["survey_limiter"] = limiter
    app.extensions["survey_public_limit"] = public
    https = settings.base_url.startswith("https://")
    app.after_request(_headers(https))


def _is_limiter_headers_hook(hook: object) -> bool:
    """Flask-Limiter registers its private __inject_headers, bound with functools.partial."""
    function = getattr(hook, "func", hook)
    return getattr(function, "__qualname__", "") == "Limiter.__inject_headers"


class PublicLimit:
    """The shared limit of the public pages, through the `limits` library directly.

    Like Flask-Limiter with in_memory_fallback_enabled and swallow_errors: when the storage
    (SURVEY_RATELIMIT_STORAGE_URL) fails, requests are counted in memory for a while, so an
    outage neither locks customers out nor lifts the limit.
    """

    def __init__(self, storage_url: str, limits: str) -> None:
        self.items: list[RateLimitItem] = sorted(parse_many(limits))
        self.storage = cast(Storage, storage_from_string(storage_url))
        self.strategy = FixedWindowRateLimiter(self.storage)
        self.fallback = FixedWindowRateLimiter(MemoryStorage())
        self.storage_dead_until = 0.0

    def _strategy(self) -> FixedWindowRateLimiter:
        return self.fallback if time.monotonic() < self.storage_dead_until else self.strategy

    def check(self) -> None:
        """Count this request against every limit; a 429 when one is broken."""
        address = get_remote_address()
        strategy = self._strategy()
        try:
            broken = self._hit(strategy, address)
        except Exception:
            if strategy is self.fallback:
                log.exception("rate limiting failed: the request goes through")
                return
            log.warning("rate-limit storage unreachable: counting in memory for a while")
            self.storage_dead_until = time.monotonic() + STORAGE_RETRY_SECONDS
            broken = self._hit(self.fallback, address)
        if broken is not None:
            g.public_limit_broken = (strategy, broken, address)
            abort(429)

    def _hit(self, strategy: FixedWindowRateLimiter, address: str) -> RateLimitItem | None:
        for item in self.items:
            if not strategy.hit(item, address, PUBLIC_SCOPE):
                log.info("ratelimit %s (%s) exceeded on the public pages", item, address)
                return item
        return None

    def reset_at(self) -> float | None:
        """When the limit this request broke lets requests through again (epoch seconds)."""
        broken = g.get("public_limit_broken")
        if broken is None:
            return None
        strategy, item, address = broken
        return float(strategy.get_window_stats(item, address, PUBLIC_SCOPE).reset_time)


def retry_after(app: Flask) -> int:
    """Seconds until the limit this request broke lets requests through again (for a 429)."""
    public: PublicLimit = app.extensions["survey_public_limit"]
    try:
        reset_at = public.reset_at()
    except Exception:  # the storage went away between the count and this answer
        log.warning("rate-limit storage unreachable: Retry-After falls back to a minute")
        reset_at = None
    return 60 if reset_at is None else max(1, math.ceil(reset_at - time.time()))


def _headers(https: bool) -> Callable[[Response], Response]:
    required = dict(HEADERS)
    if https:
        required["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    wanted = [(name.lower(), name, value) for name, value in required.items()]

    def add(response: Response) -> Response:
        # What setdefault on each would do, with one pass over the headers instead of one each.
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}
        headers.extend([(name, value) for key, name, value in wanted if key not in present])
        if request.path.startswith(PRIVATE_PREFIXES):
            headers["Cache-Control"] = "no-store"
        return response

    return add
