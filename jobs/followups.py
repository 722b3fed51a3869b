"""The closed loop: follow-ups of consented answers that meet a rule, and their notices."""

from __future__ import annotations

from typing import Any

from survey.context import Context
from survey.followups.raising import run_follow_ups


def run(ctx: Context) -> dict[str, Any]:
    return run_follow_ups(ctx)
