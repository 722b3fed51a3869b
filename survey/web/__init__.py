"""Blueprints: api, survey (public), admin, webhooks. Each feature adds itself to BLUEPRINTS."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

# (module, attribute) of each blueprint; one line per feature.
BLUEPRINTS: list[tuple[str, str]] = [
    ("survey.web.health", "bp"),
    ("survey.web.api", "bp"),
]


def register(app: Flask) -> None:
    from survey.web.errors import register_error_handlers

    register_error_handlers(app)
    for module, attribute in BLUEPRINTS:
        app.register_blueprint(getattr(import_module(module), attribute))
