"""Health checks. /healthz is what orchestrators poll for the web process: it answers, the
database answers, and its schema is at the migration head. /healthz/scheduler says whether a
scheduler renewed its slot lately (its heartbeat), for monitoring, not for restarting the web."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from survey.monitoring.health import at_migration_head, scheduler_heartbeat
from survey.web.app import context

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    ctx = context()
    if not ctx.store.reachable():
        return jsonify(status="error", database="unreachable"), 503
    if not at_migration_head(ctx):
        return jsonify(status="error", database="ok", migrations="not at head"), 503
    return jsonify(status="ok", database="ok", migrations="at head")


@bp.get("/healthz/scheduler")
def scheduler() -> ResponseReturnValue:
    beat = scheduler_heartbeat(context())
    age = None if beat.age_seconds is None else round(beat.age_seconds, 1)
    if not beat.alive:
        return jsonify(
            status="error", scheduler="no recent heartbeat", heartbeat_age_seconds=age
        ), 503
    return jsonify(status="ok", scheduler="ok", heartbeat_age_seconds=age)
