"""The measured never learn who was drawn: what an actor's key gets back is the same, byte for
byte, for a case that was drawn and for one that was not (Bilaga 1 A1.4, A1.5)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from survey.context import Context
from survey.models import Survey
from survey.sampling.draw import is_drawn
from survey.sampling.job import run_sampling
from tests.factories import contact_payload, make_api_key

# Headers that differ between any two answers for reasons of their own.
VARYING = {"Date"}


@pytest.fixture
def auth(ctx: Context) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_api_key(ctx, 'outsourced')}"}


def _refs(ctx: Context) -> tuple[str, str]:
    """A case reference the draw selects and one it passes over, at the policy's rate."""
    secret, rate = ctx.settings.sampling_secret, ctx.settings.sampling_rate
    candidates = [f"BARRIER-{n}" for n in range(200)]
    drawn = next(r for r in candidates if is_drawn(secret, r, rate))
    passed = next(r for r in candidates if not is_drawn(secret, r, rate))
    return drawn, passed


def _seen(response: Any) -> tuple[int, bytes, list[tuple[str, str]]]:
    headers = sorted((k, v) for k, v in response.headers.items() if k not in VARYING)
    return response.status_code, response.get_data(), headers


def _post(client: FlaskClient, auth: dict[str, str], path: str, body: dict[str, Any]) -> Any:
    return _seen(client.post(path, json=body, headers=auth))


def _send(client: FlaskClient, auth: dict[str, str], contact: dict[str, Any]) -> Any:
    return _post(client, auth, "/api/v1/contacts", {"contacts": [contact]})


def test_nothing_an_actor_gets_back_tells_a_drawn_case_from_another(
    ctx: Context, client: FlaskClient, auth: dict[str, str]
) -> None:
    drawn, passed = _refs(ctx)
    customers = {drawn: "+46701110001", passed: "+46701110002"}
    first = {
        ref: contact_payload(case_ref=ref, customer={"phone": phone, "language": "sv"})
        for ref, phone in customers.items()
    }
    answers = {
        ref: _post(client, auth, "/api/v1/contacts", {"contacts": [c]}) for ref, c in first.items()
    }
    assert answers[drawn] == answers[passed]
    run_sampling(ctx)
    with ctx.session() as session:
        surveyed = set(session.scalars(select(Survey.case_ref)))
    assert surveyed == {drawn}  # the draw did tell them apart

    # After the draw: the same contact again, a new contact on the case, the customer's opt-out.
    again = {
        ref: _post(client, auth, "/api/v1/contacts", {"contacts": [c]}) for ref, c in first.items()
    }
    assert again[drawn] == again[passed]
    later = {
        ref: _send(client, auth, contact_payload(case_ref=ref, customer={"phone": phone}))
        for ref, phone in customers.items()
    }
    assert later[drawn] == later[passed]
    opt_outs = {
        ref: _post(client, auth, "/api/v1/opt-outs", {"phone": phone})
        for ref, phone in customers.items()
    }
    assert opt_outs[drawn] == opt_outs[passed]
    assert opt_outs[drawn][0] == 201
