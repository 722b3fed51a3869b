"""GET /api/v1/reports/satisfaction (the report of SPEC section 4) and /reports/kpi (Bilaga 2).

Both need the reports scope; an actor's key sees only the surveys and contacts of its actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlmodel import Session

from survey.models import ApiScope
from survey.reporting.grouping import GROUP_KEYS
from survey.reporting.kpi import contact_kpis
from survey.reporting.report import InvalidReportRequest, ReportRequest, satisfaction_report
from survey.reporting.settling import as_seen_by_an_actor, settles_at
from survey.web.api_keys import current_key, require_scope
from survey.web.app import context, db_session
from survey.web.errors import problem
from survey.web.openapi import KEY_REFUSED, PATHS, scoped

bp = Blueprint("api_reports", __name__, url_prefix="/api/v1")


def _answer(build: Callable[..., dict[str, Any]]) -> ResponseReturnValue:
    actor_id = current_key().actor_id  # None for an organisation key: everything
    try:
        report_request = ReportRequest.parse(
            request.args.get("from"),
            request.args.get("to"),
            request.args.getlist("group_by"),
            actor_id=actor_id,
        )
    except InvalidReportRequest as exc:
        return problem(400, "Bad Request", str(exc))
    ctx = context()
    session: Session = db_session()
    if actor_id is not None:
        # The measured see a period only once it has settled, and only its answers: nothing
        # that tells which of their cases were drawn, sent or are still open (SPEC section 6).
        opens = settles_at(session, report_request.start, report_request.end)
        if ctx.now() < opens:
            return problem(
                403,
                "Forbidden",
                f"an actor's key sees this period once it has settled, from {opens.isoformat()}",
            )
    report = build(session, report_request, min_group_size=ctx.settings.min_group_size)
    return jsonify(report if actor_id is None else as_seen_by_an_actor(report))


@bp.get("/reports/satisfaction")
@require_scope(ApiScope.reports)
def satisfaction() -> ResponseReturnValue:
    return _answer(satisfaction_report)


@bp.get("/reports/kpi")
@require_scope(ApiScope.reports)
def kpi() -> ResponseReturnValue:
    """Contact-stream KPIs of Bilaga 2: repeat contacts, resolution time, complaints, FCR."""
    return _answer(contact_kpis)


_PARAMETERS = [
    {
        "name": "from",
        "in": "query",
        "required": True,
        "schema": {"type": "string", "format": "date"},
    },
    {
        "name": "to",
        "in": "query",
        "required": True,
        "schema": {"type": "string", "format": "date"},
        "description": "exclusive",
    },
    {
        "name": "group_by",
        "in": "query",
        "required": False,
        "explode": True,
        "schema": {
            "type": "array",
            "items": {
                "type": "string",
                "enum": list(GROUP_KEYS),
            },
        },
    },
]
for _path, _summary in (
    ("/api/v1/reports/satisfaction", "The satisfaction report (SPEC section 4)"),
    ("/api/v1/reports/kpi", "Contact-stream KPIs of Bilaga 2"),
):
    PATHS[_path] = {
        "get": {
            "summary": _summary,
            "description": (
                "An actor's key sees only its own actor's surveys and contacts, only for a "
                "settled period (403 before), and no stage before `answered`."
            ),
            **scoped("reports"),
            "parameters": _PARAMETERS,
            "responses": {
                "200": {"description": "the report"},
                "400": {"description": "invalid period or grouping"},
                **KEY_REFUSED,
            },
        }
    }
