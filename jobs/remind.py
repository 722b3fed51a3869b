"""Send the one reminder of surveys still open after SURVEY_REMINDER_AFTER_HOURS."""

from __future__ import annotations

from survey.context import Context
from survey.delivery.reminders import send_reminders


def run(ctx: Context) -> dict[str, int]:
    return send_reminders(ctx)
