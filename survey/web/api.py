"""The JSON API under /api/v1 (bearer API keys of actors)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from survey.errors import ServiceError
from survey.intake import ingest
from survey.intake.ingest import field_errors
from survey.intake.schemas import ContactBatch, OptOutIn
from survey.privacy import access, erasure
from survey.privacy.query import CustomerQuery
from survey.respondent import optout_api
from survey.web.api_keys import current_actor, require_api_key
from survey.web.app import context, db_session
from survey.web.errors import problem
from survey.web.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _json_body() -> tuple[Any, ResponseReturnValue | None]:
    if not request.is_json:
        return None, problem(415, "Unsupported Media Type", "send Content-Type: application/json")
    body = request.get_json(silent=True)
    if body is None:
        return None, problem(400, "Bad Request", "the body is not valid JSON")
    return body, None


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())


@bp.post("/contacts")
@require_api_key
def post_contacts() -> ResponseReturnValue:
    """Store closed contacts; all or nothing. The answer never says whether one was drawn."""
    body, error = _json_body()
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
    actor = current_actor()
    assert actor.id is not None
    result, invalid = ingest.ingest_batch(
        db_session(),
        actor_id=actor.id,
        items=batch.contacts,
        now=context().now(),
        default_language=settings.default_language,
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
@require_api_key
def post_opt_out() -> ResponseReturnValue:
    """Register a customer's opt-out (e.g. said to an agent or in the IVR)."""
    body, error = _json_body()
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
        actor=current_actor(),
        now=context().now(),
        identifier_key=context().settings.identifier_key,
    )
    return jsonify(recorded=recorded), 201


def _customer_query(values: Any) -> CustomerQuery:
    if not isinstance(values, dict):
        raise ServiceError("send an object with one of phone, email or ref")
    unknown = sorted(set(values) - {"phone", "email", "ref"})
    if unknown:
        raise ServiceError(f"unknown field(s): {', '.join(unknown)}")
    return CustomerQuery.parse(values.get("phone"), values.get("email"), values.get("ref"))


@bp.get("/customers/export")
@require_api_key
def export_customer() -> ResponseReturnValue:
    """GDPR access: everything kept about the customer with one identifier."""
    try:
        query = _customer_query(request.args.to_dict())
    except ServiceError as exc:
        return problem(422, "Unprocessable Content", str(exc))
    data = access.export_customer(
        db_session(),
        query,
        identifier_key=context().settings.identifier_key,
        who=f"actor:{current_actor().name}",
    )
    return jsonify(data)


@bp.post("/customers/erase")
@require_api_key
def erase_customer() -> ResponseReturnValue:
    """GDPR erasure of the customer's personal data."""
    body, error = _json_body()
    if error is not None:
        return error
    try:
        query = _customer_query(body)
    except ServiceError as exc:
        return problem(422, "Unprocessable Content", str(exc))
    result = erasure.erase_customer(
        db_session(),
        query,
        identifier_key=context().settings.identifier_key,
        now=context().now(),
        who=f"actor:{current_actor().name}",
    )
    return jsonify(result.__dict__)
