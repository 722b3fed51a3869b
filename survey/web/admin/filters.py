"""Number formats of the admin pages (Jinja filters)."""

from __future__ import annotations

from typing import Any

from flask import Flask

EMPTY = "\u2013"  # an en dash for "no figure"


def percent(value: Any, digits: int = 1) -> str:
    return EMPTY if value is None else f"{value * 100:.{digits}f} %"


def number(value: Any, digits: int = 2) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    return f"{value:.{digits}f}"


def interval(value: Any, as_percent: bool = False) -> str:
    if not value:
        return EMPTY
    low, high = value
    if as_percent:
        return f"{low * 100:.1f}\u2013{high * 100:.1f} %"
    return f"{low:.2f}\u2013{high:.2f}"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(percent=percent, number=number, interval=interval)
