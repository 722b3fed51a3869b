"""The OpenAPI 3.1 document, generated from the pydantic models that validate requests.

Each API module adds its paths to PATHS (and its models to SCHEMAS) at import time. A test runs
schemathesis against it: every answer the API gives must be one the document describes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from survey.intake.schemas import (
    ContactBatch,
    ContactIn,
    CustomerIdentifierIn,
    ErasureIn,
    IngestResultOut,
    OptOutIn,
)
from survey.web import openapi_bodies as bodies

SCHEMAS: dict[str, type[BaseModel]] = {
    "Contact": ContactIn,
    "ContactBatch": ContactBatch,
    "IngestResult": IngestResultOut,
    "OptOut": OptOutIn,
    "CustomerIdentifier": CustomerIdentifierIn,
    "Erasure": ErasureIn,
}
# Answers that no model describes.
BODIES: dict[str, dict[str, Any]] = {
    "Problem": bodies.PROBLEM,
    "OptOutRecorded": bodies.OPT_OUT_RECORDED,
    "CustomerExport": bodies.CUSTOMER_EXPORT,
    "ErasureResult": bodies.ERASURE,
    "Report": bodies.REPORT,
    "FairnessReport": bodies.FAIRNESS,
    "ChangeReport": bodies.CHANGE,
    "AgentRanking": bodies.AGENT_RANKING,
}

PROBLEM = {"$ref": "#/components/schemas/Problem"}
TEXT_RULES = (
    "Texts must not contain control characters (tab, line feed and carriage return are "
    "allowed) and timestamps must lie in the years 1900 to 2100: else 422 naming the field."
)


def json_body(ref: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def answer(description: str, ref: str) -> dict[str, Any]:
    return {"description": description, **json_body(ref)}


def problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM}},
    }
    if headers:
        found["headers"] = headers
    return found


def scoped(scope: str) -> dict[str, Any]:
    """What every route of the API shares: a bearer key that holds the route's scope."""
    return {"security": [{"bearer": []}], "x-scope": scope}


KEY_REFUSED = {
    "401": problem(
        "missing, invalid or revoked API key",
        {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}},
    ),
    "403": problem("the key lacks the route's scope (named in the problem's `scope`)"),
}
# What any route with a JSON body may answer before its model sees the body.
BODY_REFUSED = {
    "400": problem("the body is not JSON (strict: no NaN), not UTF-8, or nested too deep"),
    "413": problem("the body is larger than SURVEY_API_MAX_BODY_BYTES"),
    "415": problem("the body is not sent as Content-Type: application/json"),
}


def posted(summary: str, scope: str, model: str, **responses: Any) -> dict[str, Any]:
    """A POST operation with a JSON body validated by `model`."""
    return {
        "post": {
            "summary": summary,
            "description": TEXT_RULES,
            **scoped(scope),
            "requestBody": {"required": True, **json_body(model)},
            "responses": {**responses, **BODY_REFUSED, **KEY_REFUSED},
        }
    }


PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/contacts": posted(
        "Store closed contacts (all or nothing, idempotent on external_id)",
        "contacts",
        "ContactBatch",
        **{
            "200": answer("stored", "IngestResult"),
            "413": problem("more than SURVEY_API_MAX_BATCH contacts, or too large a body"),
            "422": problem(
                "not a batch, or invalid items, each with its index and field errors "
                "(a known external_id with other content is a conflict); nothing was stored"
            ),
        },
    ),
    "/api/v1/opt-outs": posted(
        "Register a customer's opt-out; the server records its source (the key's owner)",
        "opt-outs",
        "OptOut",
        **{
            "201": answer("recorded", "OptOutRecorded"),
            "422": problem("invalid opt-out, naming the field"),
        },
    ),
    "/api/v1/customers/export": posted(
        "GDPR access: everything kept about one customer identifier (organisation keys)",
        "privacy",
        "CustomerIdentifier",
        **{
            "200": answer("the customer's data", "CustomerExport"),
            "422": problem("not exactly one valid identifier, naming the field"),
        },
    ),
    "/api/v1/customers/erase": posted(
        "GDPR erasure: the identifier and those seen with it on one contact (organisation keys)",
        "privacy",
        "Erasure",
        **{
            "200": answer("what was erased, or would be in a dry run", "ErasureResult"),
            "422": problem("not exactly one valid identifier, naming the field"),
        },
    ),
}


# A GET on the customer routes is refused: an identifier in a URL would end up in access logs.
for _path in ("/api/v1/customers/export", "/api/v1/customers/erase"):
    PATHS[_path]["get"] = {
        "summary": "Not allowed: the identifier goes in a POST body, never in the URL",
        "responses": {
            "405": problem(
                "method not allowed", {"Allow": {"schema": {"type": "string"}, "required": True}}
            )
        },
    }


def _component(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    return schema


def openapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = dict(BODIES)
    for name, model in SCHEMAS.items():
        schemas[name] = _component(model, schemas)
    # ContactBatch keeps its items plain (each is validated on its own, to report every
    # invalid one by index); what each must be is Contact.
    schemas["ContactBatch"]["properties"]["contacts"]["items"] = {
        "$ref": "#/components/schemas/Contact"
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Survey engine API", "version": "1"},
        "paths": PATHS,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
