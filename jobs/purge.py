"""Retention: remove personal data older than SURVEY_RETENTION_DAYS (daily)."""

from __future__ import annotations

from typing import Any

from survey.context import Context
from survey.privacy.retention import run_purge


def run(ctx: Context) -> dict[str, Any]:
    return run_purge(ctx)
