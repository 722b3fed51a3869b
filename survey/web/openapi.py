"""The OpenAPI 3.1 document, generated from the pydantic models that validate requests.

Each API module adds its paths to PATHS (and its models to SCHEMAS) at import time.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from survey.intake.schemas import ContactBatch, ContactIn, IngestResultOut, OptOutIn

SCHEMAS: dict[str, type[BaseModel]] = {
    "Contact": ContactIn,
    "ContactBatch": ContactBatch,
    "IngestResult": IngestResultOut,
    "OptOut": OptOutIn,
}

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _json(ref: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM}},
    }


def scoped(scope: str) -> dict[str, Any]:
    """What every route of the API shares: a bearer key that holds the route's scope."""
    return {"security": [{"bearer": []}], "x-scope": scope}


KEY_REFUSED = {
    "401": _problem("missing, invalid or revoked API key"),
    "403": _problem("the key lacks the route's scope (named in the problem's `scope`)"),
}

PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/contacts": {
        "post": {
            "summary": "Store closed contacts (all or nothing, idempotent on external_id)",
            **scoped("contacts"),
            "requestBody": {"required": True, **_json("ContactBatch")},
            "responses": {
                "200": {"description": "stored", **_json("IngestResult")},
                "400": _problem("malformed JSON"),
                **KEY_REFUSED,
                "413": _problem("too many contacts or too large a body"),
                "422": _problem("invalid items, each with its index and field errors"),
            },
        }
    },
    "/api/v1/opt-outs": {
        "post": {
            "summary": "Register a customer's opt-out",
            **scoped("opt-outs"),
            "requestBody": {"required": True, **_json("OptOut")},
            "responses": {
                "201": {"description": "recorded"},
                **KEY_REFUSED,
                "422": _problem("invalid opt-out"),
            },
        }
    },
}

_IDENTIFIER = {
    "type": "object",
    "properties": {k: {"type": "string"} for k in ("phone", "email", "ref")},
    "additionalProperties": False,
    "description": "exactly one of phone, email or ref",
}
_IDENTIFIER_BODY = {"required": True, "content": {"application/json": {"schema": _IDENTIFIER}}}
PATHS["/api/v1/customers/export"] = {
    "post": {
        "summary": "GDPR access: everything kept about one customer identifier",
        **scoped("privacy"),
        "requestBody": _IDENTIFIER_BODY,
        "responses": {
            "200": {"description": "the customer's data"},
            **KEY_REFUSED,
            "422": _problem("not exactly one valid identifier"),
        },
    },
}
PATHS["/api/v1/customers/erase"] = {
    "post": {
        "summary": "GDPR erasure of one customer's personal data",
        **scoped("privacy"),
        "requestBody": _IDENTIFIER_BODY,
        "responses": {
            "200": {"description": "counts of what was erased"},
            **KEY_REFUSED,
            "422": _problem("not exactly one valid identifier"),
        },
    }
}

_PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "scope": {"type": "string", "description": "on 403: the scope the key lacks"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["title", "status"],
}


def openapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {"Problem": _PROBLEM_SCHEMA}
    for name, model in SCHEMAS.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return {
        "openapi": "3.1.0",
        "info": {"title": "Survey engine API", "version": "1"},
        "paths": PATHS,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
