"""Fairness signals: decline and opt-out rates, API opt-outs per agent, do_not_survey, volume."""

from __future__ import annotations

from datetime import date

from survey.context import Context
from survey.models import OptOut
from survey.reporting.fairness import fairness_signals
from survey.reporting.report import ReportRequest
from tests.factories import make_actor, make_contact, make_survey, utc

PERIOD = ReportRequest(date(2026, 3, 1), date(2026, 4, 1))


def test_rates_per_agent_hide_small_groups_and_count_the_rest(ctx: Context) -> None:
    with ctx.session() as session:
        for i in range(6):
            make_survey(
                ctx,
                session,
                delivery_status="delivered",
                response_status="declined" if i < 3 else "pending",
                contact={"agent": "agent-steer", "closed_at": utc(2026, 3, 3, 10)},
            )
        for _ in range(2):
            make_survey(
                ctx,
                session,
                delivery_status="delivered",
                response_status="opted_out",
                contact={"agent": "agent-few", "closed_at": utc(2026, 3, 3, 10)},
            )
        signals = fairness_signals(session, PERIOD, min_group_size=5)
    by_agent = {r["key"]["agent"]: r for r in signals["rates_by_agent"]}
    assert by_agent["agent-steer"]["decline_rate"] == 0.5
    assert by_agent["agent-few"]["opted_out"] == 2
    assert by_agent["agent-few"]["opt_out_rate"] is None


def test_api_opt_outs_and_do_not_survey_are_counted_per_agent(ctx: Context) -> None:
    with ctx.session() as session:
        actor = make_actor(session, "outsourced")
        for i in range(4):
            make_contact(
                session,
                actor,
                agent="agent-x",
                team="team-z",
                do_not_survey=i < 3,
                closed_at=utc(2026, 3, 9, 12),
            )
        for agent in ("agent-x", "agent-x", "agent-y"):
            session.add(
                OptOut(
                    identifier_hash=f"h-{agent}",
                    kind="phone",
                    source="api:outsourced",
                    agent=agent,
                    actor_id=actor.id,
                    created_at=utc(2026, 3, 10),
                )
            )
        session.add(
            OptOut(
                identifier_hash="h-link", kind="phone", source="link", created_at=utc(2026, 3, 10)
            )
        )
        session.commit()
        signals = fairness_signals(session, PERIOD, min_group_size=5)
    assert signals["api_opt_outs_by_agent"] == [
        {"key": {"actor": "outsourced", "agent": "agent-x"}, "opt_outs": 2},
        {"key": {"actor": "outsourced", "agent": "agent-y"}, "opt_outs": 1},
    ]
    team = {r["key"]["team"]: r for r in signals["do_not_survey"]["team"]}
    assert team["team-z"]["do_not_survey"] == 3 and team["team-z"]["share"] == 0.75
    volume = {tuple(r["key"].values()): r["contacts"] for r in signals["contact_volume"]}
    assert volume[("outsourced", "2026-W11")] == 4
