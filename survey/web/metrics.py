"""GET /metrics for Prometheus: off in production unless SURVEY_METRICS_TOKEN is set, and then
only with that bearer token (at low volume its counts could tell who was drawn)."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from survey.monitoring.metrics import registry_for
from survey.web.app import context

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    settings = context().settings
    if not settings.metrics_enabled:
        abort(404)
    token = settings.metrics_token
    given = request.headers.get("Authorization", "")
    if token and not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response(
            "a bearer token is required\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    registry = current_app.extensions.get("survey_metrics")
    if registry is None:
        registry = current_app.extensions["survey_metrics"] = registry_for(context())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
