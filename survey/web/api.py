"""The JSON API under /api/v1: contacts and opt-outs (bearer API keys with scopes)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from survey.intake import ingest
from survey.intake.ingest import field_errors
from survey.intake.schemas import ContactBatch, OptOutIn
from survey.models import ApiScope
from survey.respondent import optout_api
from survey.web.api_keys import current_key, require_scope
from survey.web.app import context, db_session
from survey.web.errors import problem
from survey.web.json_input import BadJson, parse_json
from survey.web.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_body() -> tuple[Any, Response | None]:
    """The request's JSON body, or the problem answer: 415 for another media type, 400 for a
    body that is not JSON or is nested too deep (checked before any model sees it)."""
    if not request.is_json:
        return None, problem(415, "Unsupported Media Type", "send Content-Type: application/json")
    try:
        return parse_json(request.get_data(cache=True)), None
    except BadJson as exc:
        return None, problem(400, "Bad Request", str(exc))


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())


@bp.post("/contacts")
@require_scope(ApiScope.contacts)
def post_contacts() -> ResponseReturnValue:
    """Store closed contacts; all or nothing. The answer never says whether one was drawn."""
    body, error = json_body()
    if error is not None:
        return error
    try:
        batch = ContactBatch.model_validate(body)
    except ValidationError as exc:
        errors = [e.__dict__ for e in field_errors(exc)]
        return problem(
            422, "Unprocessable Content", "the body is not a batch of contacts", errors=errors
        )
    settings = context().settings
    if len(batch.contacts) > settings.api_max_batch:
        return problem(
            413, "Content Too Large", f"at most {settings.api_max_batch} contacts per request"
        )
    actor_id = current_key().actor_id
    assert actor_id is not None  # only an actor's key holds the contacts scope
    result, invalid = ingest.ingest_batch(
        db_session(),
        actor_id=actor_id,
        items=batch.contacts,
        now=context().now(),
        default_language=settings.default_language,
        identifier_key=settings.identifier_key,
    )
    if invalid:
        return problem(
            422,
            "Unprocessable Content",
            f"{len(invalid)} of {len(batch.contacts)} contacts are invalid; nothing was stored",
            errors=[e.as_dict() for e in invalid],
        )
    return jsonify(accepted=result.accepted, duplicates=result.duplicates)


@bp.post("/opt-outs")
@require_scope(ApiScope.opt_outs)
def post_opt_out() -> ResponseReturnValue:
    """Register a customer's opt-out (e.g. said to an agent or in the IVR)."""
    body, error = json_body()
    if error is not None:
        return error
    try:
        opt_out = OptOutIn.model_validate(body)
    except ValidationError as exc:
        return problem(
            422,
            "Unprocessable Content",
            "the opt-out is invalid",
            errors=[e.__dict__ for e in field_errors(exc)],
        )
    recorded = optout_api.register(
        db_session(),
        opt_out,
        key=current_key(),
        now=context().now(),
        identifier_key=context().settings.identifier_key,
    )
    return jsonify(recorded=recorded), 201
