"""The drill-down pages' query filters (from, to, grain, channel, case_type), checked one by
one so that a refusal names the parameter that was wrong."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from werkzeug.routing import BaseConverter, ValidationError

from survey.models import Channel

LEVELS = ("actor", "team", "agent")
GRAINS = ("week", "month")
DEFAULT_WEEKS = 12
MAX_CASE_TYPE = 100


class BadFilter(ValueError):
    """A query parameter refused: `param` names it, the message says why."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # exclusive
    grain: str
    channel: str | None = None
    case_type: str | None = None

    def query(self, **changes: Any) -> dict[str, str]:
        """The filters as a query string, for links that keep the view."""
        values = {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "grain": self.grain,
            "channel": self.channel,
            "case_type": self.case_type,
        }
        values.update(changes)
        return {name: str(value) for name, value in values.items() if value is not None}


def _date(args: Mapping[str, str], name: str, default: date) -> date:
    raw = args.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadFilter(name, _("Not a date (YYYY-MM-DD): %(value)s", value=raw)) from None


def parse_filters(args: Mapping[str, str], *, today: date, single: bool) -> Filters:
    """The filters of a request; by default the last twelve ISO weeks (this one included) or,
    for a page shown per single week (`single`), the last whole ISO week."""
    monday = today - timedelta(days=today.weekday())
    if single:
        default_start, default_end = monday - timedelta(weeks=1), monday
    else:
        default_start = monday - timedelta(weeks=DEFAULT_WEEKS - 1)
        default_end = monday + timedelta(weeks=1)
    start = _date(args, "from", default_start)
    end = _date(args, "to", default_end)
    grain = args.get("grain") or "week"
    if grain not in GRAINS:
        raise BadFilter("grain", _("Choose week or month, not %(value)s.", value=grain))
    channel = args.get("channel") or None
    if channel is not None and channel not in set(Channel):
        choices = ", ".join(Channel)
        message = _(
            "Unknown channel %(value)s; choose one of %(choices)s.", value=channel, choices=choices
        )
        raise BadFilter("channel", message)
    case_type = (args.get("case_type") or "").strip() or None
    if case_type is not None and len(case_type) > MAX_CASE_TYPE:
        raise BadFilter("case_type", _("At most %(n)s characters.", n=MAX_CASE_TYPE))
    return Filters(start, end, grain, channel, case_type)


class Segment(BaseConverter):
    """A name as one path segment; a name with a slash cannot be one, so url_for falls back to
    the next rule, which carries it in the query string (?actor=, ?team=, ?agent=)."""

    def to_url(self, value: Any) -> str:
        if "/" in str(value):
            raise ValidationError()
        return super().to_url(value)


def unit_keys(path: Mapping[str, str | None], args: Mapping[str, str]) -> list[str | None]:
    """Actor, team and agent from the path or, for names with a slash, the query string; each
    level needs the ones above it."""
    keys = [path.get(key) or args.get(key) or None for key in LEVELS]
    for i in range(1, len(LEVELS)):
        if keys[i] is not None and keys[i - 1] is None:
            above, level = LEVELS[i - 1], LEVELS[i]
            message = _("The parameter %(level)s needs %(above)s too.", level=level, above=above)
            raise BadFilter(above, message)
    return keys
