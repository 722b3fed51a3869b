"""GDPR access and erasure under /api/v1/customers: organisation keys with the privacy scope."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from survey.errors import ServiceError
from survey.models import ApiScope
from survey.privacy import access, erasure
from survey.privacy.query import CustomerQuery
from survey.web.api import json_body
from survey.web.api_keys import current_key, require_scope
from survey.web.app import context, db_session
from survey.web.errors import problem

bp = Blueprint("api_privacy", __name__, url_prefix="/api/v1")


def _customer_query(values: Any, *, also: frozenset[str] = frozenset()) -> CustomerQuery:
    if not isinstance(values, dict):
        raise ServiceError("send an object with one of phone, email or ref")
    unknown = sorted(set(values) - {"phone", "email", "ref"} - also)
    if unknown:
        raise ServiceError(f"unknown field(s): {', '.join(unknown)}")
    return CustomerQuery.parse(values.get("phone"), values.get("email"), values.get("ref"))


def _who() -> str:
    return f"api:{current_key().owner}"


@bp.post("/customers/export")
@require_scope(ApiScope.privacy)
def export_customer() -> ResponseReturnValue:
    """GDPR access: everything kept about the customer with the identifier in the JSON body
    (never in the URL, which access logs and proxies keep)."""
    values, error = json_body()
    if error is not None:
        return error
    try:
        query = _customer_query(values)
    except ServiceError as exc:
        return problem(422, "Unprocessable Content", str(exc))
    data = access.export_customer(
        db_session(), query, identifier_key=context().settings.identifier_key, who=_who()
    )
    return jsonify(data)


@bp.post("/customers/erase")
@require_scope(ApiScope.privacy)
def erase_customer() -> ResponseReturnValue:
    """GDPR erasure: the identifier given and those seen with it on one contact. With
    `"dry_run": true`, what would be erased, and nothing changes."""
    body, error = json_body()
    if error is not None:
        return error
    try:
        query = _customer_query(body, also=frozenset({"dry_run"}))
    except ServiceError as exc:
        return problem(422, "Unprocessable Content", str(exc))
    dry_run = body.get("dry_run", False)
    if not isinstance(dry_run, bool):
        return problem(422, "Unprocessable Content", "dry_run must be true or false")
    result = erasure.erase_customer(
        db_session(),
        query,
        identifier_key=context().settings.identifier_key,
        now=context().now(),
        who=_who(),
        dry_run=dry_run,
    )
    return jsonify(result.as_dict())
