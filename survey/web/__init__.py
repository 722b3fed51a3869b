"""Blueprints: api, survey (public), admin, webhooks. Each feature adds itself to BLUEPRINTS."""

from __future__ import annotations

from flask import Blueprint, Flask

from survey.web import (
    admin,
    api,
    api_privacy,
    api_rankings,
    api_reports,
    health,
    i18n,
    metrics,
    privacy_notice,
    ratelimit,
    security,
    survey_thanks,  # noqa: F401  (its routes join survey_pages.bp)
    webhooks,
)
from survey.web import survey as survey_pages
from survey.web.errors import register_error_handlers

# One line per feature.
BLUEPRINTS: tuple[Blueprint, ...] = (
    health.bp,
    api.bp,
    survey_pages.bp,
    privacy_notice.bp,
    api_reports.bp,
    api_rankings.bp,
    api_privacy.bp,
    admin.bp,
    webhooks.bp,
    metrics.bp,
)


def register(app: Flask) -> None:
    register_error_handlers(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    # App-wide hooks, after the blueprints: security and ratelimit find theirs by name.
    survey_pages.init_app(app)
    admin.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    ratelimit.init_app(app)
