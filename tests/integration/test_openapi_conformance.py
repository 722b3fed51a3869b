"""The API against its own OpenAPI document, fuzzed by schemathesis in-process (WSGI): no
answer is a 5xx, and every answer (status, media type, headers, body) is one the document
describes. Bounded: a few dozen examples per operation and database."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from survey.context import Context
from tests.factories import bearer, contact_payload, make_api_key, make_organisation_key

EXAMPLES = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def keys(ctx: Context, client) -> dict[str, dict[str, str]]:
    """An actor's key (contacts, opt-outs, reports) and an organisation key (opt-outs,
    reports, privacy), with a few stored contacts for the reports and exports to find."""
    actor = bearer(make_api_key(ctx, "in-house", "contacts", "opt-outs", "reports"))
    organisation = bearer(
        make_organisation_key(ctx, "head-office", "opt-outs", "reports", "privacy")
    )
    stored = [contact_payload(customer={"phone": "+46701234567", "ref": "K-1"}) for _ in range(3)]
    assert (
        client.post("/api/v1/contacts", json={"contacts": stored}, headers=actor).status_code == 200
    )
    return {"actor": actor, "organisation": organisation}


OPERATIONS = [
    ("POST", "/api/v1/contacts", "actor"),
    ("POST", "/api/v1/opt-outs", "actor"),
    ("POST", "/api/v1/opt-outs", "organisation"),
    ("GET", "/api/v1/reports/satisfaction", "organisation"),
    ("GET", "/api/v1/reports/satisfaction", "actor"),
    ("GET", "/api/v1/reports/kpi", "organisation"),
    ("GET", "/api/v1/reports/fairness", "organisation"),
    ("GET", "/api/v1/reports/change", "organisation"),
    ("GET", "/api/v1/reports/change", "actor"),
    ("GET", "/api/v1/reports/agents", "organisation"),
    ("POST", "/api/v1/customers/export", "organisation"),
    ("POST", "/api/v1/customers/erase", "organisation"),
    ("GET", "/api/v1/customers/export", "organisation"),
    ("GET", "/api/v1/customers/erase", "organisation"),
]


def test_every_documented_operation_is_fuzzed(api_schema: Any) -> None:
    documented = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert documented == {(method, path) for method, path, _ in OPERATIONS}


# Negative examples need something to make invalid: a body or a parameter (the GETs of the
# customer routes have neither).
RUNS = [
    (method, path, holder, mode)
    for method, path, holder in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if method == "POST" or "/reports/" in path or mode is GenerationMode.POSITIVE
]


@pytest.mark.parametrize(("method", "path", "holder", "mode"), RUNS)
def test_every_answer_is_one_the_document_describes(
    api_schema: Any, keys: dict[str, dict[str, str]], method, path, holder, mode
) -> None:
    operation = api_schema[path][method]

    @settings(
        max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def exchange(case: Any) -> None:
        case.call_and_validate(headers=keys[holder], checks=CHECKS)

    exchange()
