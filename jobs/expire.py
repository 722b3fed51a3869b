"""Expire surveys left unanswered for SURVEY_EXPIRY_DAYS after sending."""

from __future__ import annotations

from survey.context import Context
from survey.delivery.reminders import expire_surveys


def run(ctx: Context) -> dict[str, int]:
    return {"expired": expire_surveys(ctx)}
