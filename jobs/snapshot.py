"""Monthly report snapshots: provisional on the month's first day after, final when settled."""

from __future__ import annotations

import logging

from survey.context import Context
from survey.reporting.snapshot import take_snapshots

log = logging.getLogger(__name__)


def run(ctx: Context) -> int:
    with ctx.session() as session:
        made = take_snapshots(session, ctx.settings, now=ctx.now())
    for snapshot in made:
        log.info("stored the %s report snapshot of %s", snapshot.kind, snapshot.month)
    return len(made)
