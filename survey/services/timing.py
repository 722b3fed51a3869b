"""Quiet hours as they apply to a send or a reminder (the policy decides the window)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from survey.config import QuietHours

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def is_quiet(quiet: QuietHours | None, moment: datetime) -> bool:
    return quiet is not None and quiet.contains(moment.astimezone(STOCKHOLM).time())


def out_of_quiet_hours(quiet: QuietHours | None, moment: datetime) -> datetime:
    """The moment, or the end of the quiet hours it falls in."""
    local = moment.astimezone(STOCKHOLM)
    if quiet is None or not quiet.contains(local.time()):
        return moment
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end = (local + timedelta(days=1)).replace(
            hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0
        )
    return end.astimezone(moment.tzinfo)
