"""Retention: remove personal data older than SURVEY_RETENTION_DAYS (daily)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from survey.context import Context
from survey.privacy.retention import purge_expired


def run(ctx: Context) -> dict[str, Any]:
    with ctx.store.singleton("purge", now=ctx.now(), lease=timedelta(minutes=10)) as mine:
        if not mine:
            return {"skipped": "another process is purging"}
        with ctx.session() as session:
            result = purge_expired(
                session, retention_days=ctx.settings.retention_days, now=ctx.now()
            )
    return result.__dict__
