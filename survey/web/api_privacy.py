"""GDPR access and erasure under /api/v1/customers: organisation keys with the privacy scope."""

from __future__ import annotations

from typing import TypeVar

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from survey.errors import ServiceError
from survey.intake.ingest import field_errors
from survey.intake.schemas import CustomerIdentifierIn, ErasureIn
from survey.models import ApiScope
from survey.privacy import access, erasure
from survey.privacy.query import CustomerQuery
from survey.web.api import json_body
from survey.web.api_keys import current_key, require_scope
from survey.web.app import context, db_session
from survey.web.errors import problem

bp = Blueprint("api_privacy", __name__, url_prefix="/api/v1")


M = TypeVar("M", bound=CustomerIdentifierIn)


def _customer_request(model: type[M]) -> tuple[M, CustomerQuery] | Response:
    """The body as `model` and the customer it names, or the problem answer (400, 415, 422
    naming the field)."""
    body, error = json_body()
    if error is not None:
        return error
    try:
        given = model.model_validate(body)
    except ValidationError as exc:
        errors = field_errors(exc)
        detail = "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors)
        return problem(422, "Unprocessable Content", detail, errors=[e.__dict__ for e in errors])
    try:
        return given, CustomerQuery.parse(given.phone, given.email, given.ref)
    except ServiceError as exc:
        field = "phone" if given.phone else "email" if given.email else "ref"
        invalid = [{"field": field, "message": str(exc)}]
        return problem(422, "Unprocessable Content", f"{field}: {exc}", errors=invalid)


def _who() -> str:
    return f"api:{current_key().owner}"


@bp.post("/customers/export")
@require_scope(ApiScope.privacy)
def export_customer() -> ResponseReturnValue:
    """GDPR access: everything kept about the customer with the identifier in the JSON body
    (never in the URL, which access logs and proxies keep)."""
    parsed = _customer_request(CustomerIdentifierIn)
    if isinstance(parsed, Response):
        return parsed
    _, query = parsed
    data = access.export_customer(
        db_session(), query, identifier_key=context().settings.identifier_key, who=_who()
    )
    return jsonify(data)


@bp.post("/customers/erase")
@require_scope(ApiScope.privacy)
def erase_customer() -> ResponseReturnValue:
    """GDPR erasure: the identifier given and those seen with it on one contact. With
    `"dry_run": true`, what would be erased, and nothing changes."""
    parsed = _customer_request(ErasureIn)
    if isinstance(parsed, Response):
        return parsed
    given, query = parsed
    result = erasure.erase_customer(
        db_session(),
        query,
        identifier_key=context().settings.identifier_key,
        now=context().now(),
        who=_who(),
        dry_run=given.dry_run,
    )
    return jsonify(result.as_dict())
