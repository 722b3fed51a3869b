"""App-wide protection: CSRF on forms, security headers on every answer, rate limits on /s/ and /o/.

CSRF covers every form (survey, admin); exempt are the JSON API and the Twilio webhooks (checked by
key and signature) and the RFC 8058 one-click opt-out, which mail providers post without a token.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import cast

from flask import Blueprint, Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

log = logging.getLogger(__name__)

CSRF_EXEMPT_BLUEPRINTS = ("api", "webhooks")
CSRF_EXEMPT_VIEWS = ("survey.web.survey.one_click_opt_out",)
RATE_LIMITED_BLUEPRINTS = ("survey",)
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
    csrf.init_app(app)
    for name in CSRF_EXEMPT_BLUEPRINTS:
        if name in app.blueprints:
            csrf.exempt(cast(Blueprint, app.blueprints[name]))
    for view in CSRF_EXEMPT_VIEWS:
        csrf.exempt(view)
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
    for name in RATE_LIMITED_BLUEPRINTS:
        if name in app.blueprints:
            # One budget per address for /s/ and /o/ together: guessing is counted as a whole.
            limiter.shared_limit(settings.ratelimit_public, scope="public-pages")(
                cast(Blueprint, app.blueprints[name])
            )
    app.extensions["survey_limiter"] = limiter
    https = settings.base_url.startswith("https://")
    app.after_request(_headers(https))


def retry_after(app: Flask) -> int:
    """Seconds until the limit this request broke lets requests through again (for a 429)."""
    limiter: Limiter = app.extensions["survey_limiter"]
    broken = limiter.current_limit
    try:
        reset_at = broken.reset_at if broken is not None else None
    except Exception:  # the storage went away between the count and this answer
        log.warning("rate-limit storage unreachable: Retry-After falls back to a minute")
        reset_at = None
    return 60 if reset_at is None else max(1, math.ceil(reset_at - time.time()))


def _headers(https: bool) -> Callable[[Response], Response]:
    def add(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if https:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if request.path.startswith(PRIVATE_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response

    return add
