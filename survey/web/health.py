"""Liveness and database reachability, for load balancers and monitoring."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from survey.web.app import context

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    if not context().store.reachable():
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
