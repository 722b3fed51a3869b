"""Request bodies as JSON: parsed with a nesting limit before any request model sees them."""

from __future__ import annotations

import json
from typing import Any

# Our bodies nest four levels at most ({"contacts": [{"customer": {...}}]}); this leaves room.
MAX_DEPTH = 32


class BadJson(ValueError):
    """A body that is not JSON, or is nested deeper than MAX_DEPTH (the 400 of the API)."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(data: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed body; BadJson when it is not strict JSON (NaN and Infinity included), not
    UTF-8, or nested deeper than `max_depth` arrays and objects."""
    too_deep = BadJson(f"the body is nested deeper than {max_depth} levels")
    try:
        value = json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        # The decoder recurses once per level: far beyond our limit it gives up by itself.
        raise too_deep from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, too many digits
        raise BadJson(f"the body is not valid JSON ({_reason(exc)})") from None
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(max_depth):
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
        if not level:
            return value
    raise too_deep


def _reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8"
    return "a number with too many digits, or NaN or Infinity"
