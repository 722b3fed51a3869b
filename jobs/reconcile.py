"""Ask Twilio about `unknown` SMS surveys and move them on (every 5 minutes)."""

from __future__ import annotations

from survey.context import Context
from survey.delivery.reconcile import reconcile_unknown_sms


def run(ctx: Context) -> dict[str, int]:
    return reconcile_unknown_sms(ctx)
