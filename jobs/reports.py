"""Weekly reports per actor, by e-mail with the workbook attached (the monthly organisation
report goes with the snapshots)."""

from __future__ import annotations

from typing import Any

from survey.context import Context
from survey.reporting.scheduled import run_actor_reports


def run(ctx: Context) -> dict[str, Any]:
    return run_actor_reports(ctx)
