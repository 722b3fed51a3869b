"""Retention: remove personal data older than SURVEY_RETENTION_DAYS (daily)."""

from __future__ import annotations

from typing import Any

from survey.context import Context
from survey.privacy.customers import purge_expired
from survey.store.locks import singleton


def run(ctx: Context) -> dict[str, Any]:
    with singleton(ctx, "purge") as mine:
        if not mine:
            return {"skipped": "another process is purging"}
        with ctx.session() as session:
            result = purge_expired(
                session, retention_days=ctx.settings.retention_days, now=ctx.now()
            )
    return result.__dict__
