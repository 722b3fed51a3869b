"""Flask application assembly: context, extensions, blueprints, error handlers."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, g
from sqlmodel import Session
from werkzeug.middleware.proxy_fix import ProxyFix

from survey.context import Context
from survey.logs import configure_logging
from survey.startup import start_context

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES = ROOT / "templates"

log = logging.getLogger(__name__)


def build_app(overrides: dict[str, Any] | None = None) -> Flask:
    configure_logging()  # first: the start's warnings (a policy value that differs) are logged
    ctx = start_context(overrides)
    settings = ctx.settings
    app = Flask(
        "survey",
        instance_path=str(settings.instance_path),
        template_folder=str(TEMPLATES),
        static_folder=str(ROOT / "survey" / "static"),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.api_max_body_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        TESTING=settings.env == "test",
    )
    app.extensions["survey"] = ctx
    app.teardown_appcontext(_close_session)
    if settings.trusted_proxies:
        # request.remote_addr becomes the address the nearest trusted proxy saw, which the rate
        # limits count by; without trusted proxies no forwarded header is believed.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from survey.web import register

    try:
        register(app)
    except Exception:
        ctx.store.dispose()  # the start read the database: release its connections
        raise
    return app


def context() -> Context:
    from flask import current_app

    ctx: Context = current_app.extensions["survey"]
    return ctx


def db_session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = context().store.new_session()
    session: Session = g.db_session
    return session


def _close_session(exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        if exc is not None:
            session.rollback()
        session.close()
