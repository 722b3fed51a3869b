"""Blueprints: api, survey (public), admin, webhooks. Each feature adds itself to BLUEPRINTS."""

from __future__ import annotations

from flask import Blueprint, Flask

from survey.web import admin, api, api_reports, health, i18n, privacy_notice, security, webhooks
from survey.web import survey as survey_pages
from survey.web.errors import register_error_handlers

# One line per feature.
BLUEPRINTS: tuple[Blueprint, ...] = (
    health.bp,
    api.bp,
    survey_pages.bp,
    privacy_notice.bp,
    api_reports.bp,
    admin.bp,
    webhooks.bp,
)


def register(app: Flask) -> None:
    register_error_handlers(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    # App-wide hooks; security goes after the blueprints (it exempts and limits them by name).
    survey_pages.init_app(app)
    admin.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    _limit_login(app)


# Password guessing on the admin login, per address; a person who mistypes is not stopped.
ADMIN_LOGIN_LIMIT = "10/minute;100/day"


def _limit_login(app: Flask) -> None:
    limiter = app.extensions["survey_limiter"]
    view = app.view_functions["admin.login"]
    app.view_functions["admin.login"] = limiter.limit(ADMIN_LOGIN_LIMIT, methods=["POST"])(view)
