"""A process's context at start: settings validated once, and the texts they shape checked."""

from __future__ import annotations

from typing import Any

from survey.context import Context, build_context
from survey.delivery.messages import check_sms_fits


def start_context(overrides: dict[str, Any] | None = None) -> Context:
    """The context for a web app, the scheduler or a command; ConfigError on a bad setting."""
    ctx = build_context(overrides)
    try:
        check_sms_fits(ctx.settings)
    except Exception:
        ctx.store.dispose()
        raise
    return ctx
