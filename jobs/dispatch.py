"""Send due surveys (every 20 s)."""

from __future__ import annotations

from survey.context import Context
from survey.delivery.dispatch import dispatch_due_surveys


def run(ctx: Context) -> dict[str, int]:
    return dispatch_due_surveys(ctx)
