"""Customer-satisfaction survey engine (Kontakta's ethical rules, Bilaga 1)."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    from survey.web.app import build_app

    return build_app(overrides)
