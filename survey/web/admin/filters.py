"""Number formats of the admin pages (Jinja filters): a decimal comma in Swedish, a point in
English; thousands apart with a narrow space in both."""

from __future__ import annotations

from functools import cache
from typing import Any

import pyphen
from flask import Flask, has_request_context
from flask_babel import get_locale

from survey.sampling.draw import STOCKHOLM

EMPTY = "\u2013"  # an en dash for "no figure"
DECIMAL_COMMA = {"sv"}


def _decimal(text: str) -> str:
    """A formatted number with the decimal mark of the page's language."""
    locale = get_locale() if has_request_context() else None
    return text.replace(".", ",") if locale and locale.language in DECIMAL_COMMA else text


def percent(value: Any, digits: int = 1) -> str:
    return EMPTY if value is None else _decimal(f"{value * 100:.{digits}f} %")


def number(value: Any, digits: int = 2) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    return _decimal(f"{value:.{digits}f}")


def interval(value: Any, as_percent: bool = False) -> str:
    if not value:
        return EMPTY
    low, high = value
    if as_percent:
        return _decimal(f"{low * 100:.1f}\u2013{high * 100:.1f} %")
    return _decimal(f"{low:.2f}\u2013{high:.2f}")


@cache
def _dictionary(language: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=language, left=3, right=3)


# Swedish runs words together (Kontaktupplevelse); English table headers fit without breaks.
HYPHENATED = {"sv"}
LONG_WORD = 10


def hyphenate(text: str) -> str:
    """Soft hyphens in the long compound words of a Swedish table header (Kon\u00adtakt...), so
    that a wide table can break them where Swedish allows instead of overflowing."""
    locale = get_locale() if has_request_context() else None
    if locale is None or locale.language not in HYPHENATED:
        return str(text)
    dictionary = _dictionary(locale.language)
    return " ".join(
        dictionary.inserted(word, hyphen="\u00ad") if len(word) >= LONG_WORD else word
        for word in str(text).split(" ")
    )


def local_time(value: Any) -> str:
    """A moment as the organisation's local (Europe/Stockholm) date and time."""

    return EMPTY if value is None else value.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        percent=percent,
        number=number,
        interval=interval,
        hyphenate=hyphenate,
        local_time=local_time,
    )
