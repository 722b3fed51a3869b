"""Draw newly closed cases, apply the suppression rules, schedule surveys (every minute)."""

from __future__ import annotations

import logging
from typing import Any

from survey.context import Context
from survey.sampling.job import run_sampling

log = logging.getLogger(__name__)


def run(ctx: Context) -> dict[str, Any]:
    counts = run_sampling(ctx)
    log.info("sampling: %s", counts)
    return counts
