"""The dishonest contact centre of issue 15, played through the API with nothing but its own
key (and, where an attack needs it, as a rogue operator or analyst): each attempt is refused,
reveals nothing, or raises the flag of its fairness measure within its period.

Further attacks of the same section are played where their rule lives:
test_information_barrier (answers byte-identical whether drawn or not), test_report_access
(differencing ranges, per-answer rows), test_policy (the environment's rate, the secret),
test_opt_out (undo, replayed START), test_config (production secrets).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from survey.context import Context
from survey.models import AuditLog, Case, OptOut, SamplingDecision
from survey.sampling.draw import local_date
from survey.sampling.job import run_sampling
from survey.sampling.postpone import cancel_do_not_survey
from tests.factories import bearer, make_api_key, make_organisation_key

CASES = 200
NOW = datetime.now(UTC)
STEERED = {  # 40 % of the dishonest actor's cases each, overlapping
    "do_not_survey_share": range(0, 80),
    "staff_opt_out_share": range(40, 120),
    "split_case_share": range(80, 160),
    "reused_case_share": range(120, 200),
}


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, "sampling_rate": "0.5"}


def _phone(actor: int, n: int) -> str:
    return f"+4670{actor}{n:06d}"


def _contact(actor: int, n: int, *, case_ref: str | None = None, hours_ago: float = 30, **kw: Any):
    closed = NOW - timedelta(hours=hours_ago)
    return {
        "external_id": f"{actor}-{n}-{case_ref or 'first'}-{hours_ago}",
        "case_ref": case_ref or f"A{actor}-{n}",
        "channel": "phone",
        "closed_at": closed.isoformat(),
        "agent": f"agent-{actor}-{n % 4}",
        "team": "team-a",
        "customer": {"phone": _phone(actor, n), "language": "sv"},
        **kw,
    }


def _post(client: FlaskClient, key: dict[str, str], contacts: list[dict[str, Any]]) -> None:
    response = client.post("/api/v1/contacts", json={"contacts": contacts}, headers=key)
    assert response.status_code == 200, response.get_json()


def test_the_four_ways_of_steering_through_the_api_are_each_flagged(
    client: FlaskClient, ctx: Context
) -> None:
    honest = bearer(make_api_key(ctx, "in-house"))
    dishonest = bearer(make_api_key(ctx, "outsourced"))
    _post(client, honest, [_contact(1, n) for n in range(CASES)])
    _post(client, dishonest, [_contact(2, n) for n in range(CASES)])
    # Splitting: the same customer's contact sent again under new case references, to raise
    # the chance that the chosen customer is drawn.
    _post(
        client,
        dishonest,
        [
            _contact(2, n, case_ref=f"A2-{n}-split-{k}", hours_ago=30 - k)
            for n in STEERED["split_case_share"]
            for k in (1, 2)
        ],
    )
    run_sampling(ctx)
    # After the draw: a later contact marked do_not_survey on the unhappy customers' cases.
    _post(
        client,
        dishonest,
        [
            _contact(2, n, case_ref=f"A2-{n}", hours_ago=20, do_not_survey={"reason": "angry"})
            for n in STEERED["do_not_survey_share"]
        ],
    )
    # Staff opt-outs for the unhappy customers; naming the customer's own link is refused.
    forged = client.post(
        "/api/v1/opt-outs", json={"phone": _phone(2, 40), "source": "link"}, headers=dishonest
    )
    assert forged.status_code == 422
    for n in STEERED["staff_opt_out_share"]:
        response = client.post(
            "/api/v1/opt-outs",
            json={"phone": _phone(2, n), "agent": "agent-2-0"},
            headers=dishonest,
        )
        assert response.status_code == 201
    with ctx.session() as session:
        cancelled = cancel_do_not_survey(session)
        session.commit()
        # Reuse: a week later (the decisions are moved back in time to play it), contacts
        # are added to the old, decided cases.
        reused = [f"A2-{n}" for n in STEERED["reused_case_share"]]
        for model in (Case, SamplingDecision):
            session.execute(
                update(model)
                .where(model.case_ref.in_(reused))  # type: ignore[attr-defined]
                .values(decided_at=NOW - timedelta(days=9))
            )
        session.commit()
    _post(
        client,
        dishonest,
        [_contact(2, n, case_ref=f"A2-{n}", hours_ago=2) for n in STEERED["reused_case_share"]],
    )
    organisation = bearer(make_organisation_key(ctx, "quality", "reports"))
    period = f"from={local_date(NOW - timedelta(days=3))}&to={local_date(NOW + timedelta(days=1))}"
    answer = client.get(f"/api/v1/reports/fairness?{period}", headers=organisation)
    assert answer.status_code == 200, answer.get_json()
    units = {(u["actor"], u["agent"]): u for u in answer.get_json()["units"]}
    for measure in STEERED:
        assert measure in units[("outsourced", None)]["flags"], measure
        assert measure not in units[("in-house", None)]["flags"], measure
    # Every cancellation after the draw is audited, naming the actor whose contact caused it.
    with ctx.session() as session:
        entries = session.scalars(
            select(AuditLog).where(AuditLog.action == "survey.cancelled")
        ).all()
        sources = set(session.scalars(select(OptOut.source)))
    assert cancelled > 0 and len(entries) == cancelled
    assert {e.who for e in entries} == {"actor:outsourced"}
    assert {e.details["cause"] for e in entries} == {"do_not_survey"}
    assert sources == {"api:outsourced"}
    # The actor's own key may not ask for the organisation's steering signals.
    refused = client.get(f"/api/v1/reports/fairness?{period}", headers=dishonest)
    assert refused.status_code == 403


def test_an_actors_key_reads_and_erases_no_customer(client: FlaskClient, ctx: Context) -> None:
    key = bearer(make_api_key(ctx, "outsourced"))
    _post(client, key, [_contact(2, 1)])
    by_url = client.get(f"/api/v1/customers/export?phone={_phone(2, 1)}", headers=key)
    assert by_url.status_code == 405  # identifiers never travel in URLs
    for route in ("/api/v1/customers/export", "/api/v1/customers/erase"):
        answer = client.post(route, json={"phone": _phone(2, 1)}, headers=key)
        assert answer.status_code == 403 and "privacy" in answer.get_json()["detail"]


def test_an_actors_reports_key_sees_only_its_settled_answers(
    client: FlaskClient, ctx: Context
) -> None:
    """No funnel stage before answered, no other actor, no period still open."""
    key = bearer(make_api_key(ctx, "outsourced", "contacts", "reports"))
    today = local_date(NOW)
    monday = today - timedelta(days=today.weekday())
    open_period = f"from={monday}&to={monday + timedelta(days=7)}"  # this whole week
    refused = client.get(f"/api/v1/reports/satisfaction?{open_period}", headers=key)
    assert refused.status_code == 403
    settled = client.get("/api/v1/reports/satisfaction?from=2026-01-05&to=2026-01-12", headers=key)
    assert settled.status_code == 200
    text = settled.get_data(as_text=True)
    for stage in ('"sent"', '"declined"', '"opted_out"', '"funnel"', '"drawn"', '"scheduled"'):
        assert stage not in text, stage
    by_actor = client.get(
        "/api/v1/reports/satisfaction?from=2026-01-05&to=2026-01-12&group_by=actor", headers=key
    )
    assert by_actor.status_code == 200
    assert {g["key"]["actor"] for g in by_actor.get_json()["groups"]} <= {"outsourced"}


def test_an_actors_reports_key_gets_whole_weeks_or_months_only(
    client: FlaskClient, ctx: Context
) -> None:
    """Day cells and overlapping ranges a day apart would single out one customer's answer
    (who answered, and by difference what): the measured get whole weeks or months."""
    key = bearer(make_api_key(ctx, "outsourced", "contacts", "reports"))
    for query in (
        "from=2026-09-09&to=2026-09-10",  # one day
        "from=2026-09-09&to=2026-09-11",  # two days: the difference of the two is one day
        "from=2026-09-07&to=2026-09-14&group_by=day,case_type",
    ):
        answer = client.get(f"/api/v1/reports/satisfaction?{query}", headers=key)
        assert answer.status_code == 400, query
        assert answer.get_json()["rule"] == "measured-whole-periods"
    week = client.get("/api/v1/reports/satisfaction?from=2026-09-07&to=2026-09-14", headers=key)
    assert week.status_code == 200
