"""App-wide protection: CSRF on forms and security headers on every answer.

CSRF covers every form. The admin's forms carry Flask-WTF's token, kept in the session cookie; the
respondent's pages (/s/, /o/) carry a token bound to the survey's link and set no cookie (see
survey.web.survey). Exempt are the JSON API and the Twilio webhooks (checked by key and signature)
and the RFC 8058 one-click opt-out, which mail providers post without a token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from flask import Blueprint, Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

# The survey blueprint checks its own form token (survey.web.survey.check_form_token).
CSRF_EXEMPT_BLUEPRINTS = ("api", "api_privacy", "webhooks", "survey")
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
    """Call after the blueprints are registered (the exemptions go by blueprint name)."""
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
    https = settings.base_url.startswith("https://")
    app.after_request(_headers(https))


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
