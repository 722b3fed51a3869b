"""Blueprints: api, survey (public), admin, webhooks. Each feature adds itself to BLUEPRINTS."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

# (module, attribute) of each blueprint; one line per feature.
BLUEPRINTS: list[tuple[str, str]] = [
    ("survey.web.health", "bp"),
    ("survey.web.api", "bp"),
    ("survey.web.survey", "bp"),
    ("survey.web.privacy_notice", "bp"),
    ("survey.web.api_reports", "bp"),
    ("survey.web.admin", "bp"),
    ("survey.web.webhooks", "bp"),
]


def register(app: Flask) -> None:
    from survey.web.errors import register_error_handlers

    register_error_handlers(app)
    for module, attribute in BLUEPRINTS:
        app.register_blueprint(getattr(import_module(module), attribute))
    # App-wide hooks; security goes after the blueprints (it exempts and limits them by name).
    from survey.web import i18n, security
    from survey.web import survey as survey_pages

    survey_pages.init_app(app)
    import_module("survey.web.admin").init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    _limit_login(app)


# Password guessing on the admin login, per address; a person who mistypes is not stopped.
ADMIN_LOGIN_LIMIT = "10/minute;100/day"


def _limit_login(app: Flask) -> None:
    limiter = app.extensions["survey_limiter"]
    view = app.view_functions["admin.login"]
    app.view_functions["admin.login"] = limiter.limit(ADMIN_LOGIN_LIMIT, methods=["POST"])(view)
