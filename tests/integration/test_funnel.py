"""The funnel through the real sampler, and the design-weighted figures against an independent
computation (SPEC section 7)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from scipy import stats as sp
from sqlalchemy import select, update

from survey.context import Context
from survey.models import CancelCause, SamplingDecision, Survey
from survey.reporting.report import ReportRequest, satisfaction_report
from survey.sampling.job import run_sampling
from tests.factories import make_actor, make_contact, make_response, make_survey

CLOSED = datetime(2026, 3, 10, 22, 30, tzinfo=UTC)  # 23:30 in Stockholm: a UTC date would differ


def _group(report: dict[str, Any], **key: Any) -> dict[str, Any]:
    return next(g for g in report["groups"] if g["key"] == key)


def test_undrawn_and_suppressed_cases_count_in_the_group_of_their_last_contact(
    make_ctx: Callable[..., Context],
) -> None:
    ctx = make_ctx(sampling_rate="1")
    with ctx.session() as session:
        actor = make_actor(session)
        make_contact(session, actor, case_ref="A-1", agent="anna", closed_at=CLOSED)
        make_contact(
            session,
            actor,
            case_ref="A-2",
            agent="anna",
            closed_at=CLOSED,
            do_not_survey=True,
            do_not_survey_reason="threat",
        )
        # Reported four days late: too old to be surveyed.
        make_contact(
            session,
            actor,
            case_ref="B-1",
            agent="bo",
            customer_phone="+46707654321",
            closed_at=CLOSED,
            received_at=CLOSED + timedelta(days=4),
        )
    run_sampling(ctx)
    with ctx.session() as session:
        dates = set(session.scalars(select(SamplingDecision.closed_local_date)))
        assert dates == {date(2026, 3, 10)}  # the local date, not the UTC one
        survey = session.scalars(select(Survey)).one()
        survey.delivery_status = "cancelled"
        survey.cancel_cause = CancelCause.do_not_survey
        session.commit()
        # Built directly: the publication rules (whole weeks for agents) are the API's.
        request = ReportRequest(date(2026, 3, 10), date(2026, 3, 11), ("agent", "day"))
        report = satisfaction_report(session, request, min_group_size=5)
    anna = _group(report, agent="anna", day="2026-03-10")["funnel"]
    bo = _group(report, agent="bo", day="2026-03-10")
    assert (anna["closed_cases"], anna["drawn"], anna["scheduled"], anna["sent"]) == (2, 2, 1, 0)
    assert anna["suppressed"]["do_not_survey"] == 1
    assert anna["cancelled_before_send"]["do_not_survey"] == 1
    assert bo["funnel"]["suppressed"]["too_old"] == 1 and bo["funnel"]["scheduled"] == 0
    assert bo["sent"] == 0 and bo["overall"]["mean"] is None  # a group with only a funnel
    total = report["total"]["funnel"]
    assert (total["closed_cases"], total["drawn"], total["scheduled"]) == (3, 3, 1)
    too_old = report["disclosures"]["too_old_by_actor"][actor.name]
    assert too_old == {"drawn": 3, "too_old": 1, "warning": True}


def test_an_opt_out_before_sending_is_no_opt_out_of_a_sent_survey(ctx: Context) -> None:
    with ctx.session() as session:
        make_survey(
            ctx,
            session,
            contact={"closed_at": CLOSED},
            delivery_status="cancelled",
            response_status="opted_out",
            cancel_cause=CancelCause.opted_out,
        )
        make_survey(
            ctx,
            session,
            contact={"closed_at": CLOSED},
            delivery_status="delivered",
            response_status="opted_out",
        )
        report = satisfaction_report(
            session, ReportRequest.parse("2026-03-10", "2026-03-11", []), min_group_size=1
        )
    total = report["total"]
    assert (total["sent"], total["opted_out"]) == (1, 1)
    assert total["funnel"]["opted_out_after_send"] == 1
    assert total["funnel"]["cancelled_before_send"]["opted_out"] == 1
    assert total["rates"]["refusal"] == 1.0 and total["rates"]["response"] == 0.0


def test_weighted_figures_correct_a_rate_change(ctx: Context) -> None:
    """Rate 0.1 for two weeks (CSAT 80 %), 0.5 for two (60 %): unweighted 63 %, weighted the
    true 70 %; mean and intervals against a direct computation answer by answer."""
    answers: list[tuple[float, int]] = []  # (weight, score)
    with ctx.session() as session:
        actor = make_actor(session)
        plan = [("0.1", 10.0, 20, 16, 0), ("0.5", 2.0, 100, 60, 14)]
        for rate, weight, count, happy, day in plan:
            for i in range(count):
                survey = make_survey(
                    ctx,
                    session,
                    actor=actor,
                    contact={"closed_at": CLOSED + timedelta(days=day, minutes=i)},
                    delivery_status="delivered",
                    response_status="answered",
                )
                score = (5 if i % 2 else 4) if i < happy else (1 + i % 3)
                make_response(session, survey, overall=score)
                session.execute(
                    update(SamplingDecision)
                    .where(SamplingDecision.id == survey.decision_id)
                    .values(rate=rate)
                )
                answers.append((weight, score))
        session.commit()
        report = satisfaction_report(
            session, ReportRequest.parse("2026-03-01", "2026-04-01", []), min_group_size=5
        )
    total = report["total"]
    assert total["overall"]["csat"] == 76 / 120  # 63 %
    weighted = total["weighted"]["overall"]
    w = [a[0] for a in answers]
    y = [a[1] for a in answers]
    n, sum_w = len(y), sum(w)
    mean = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / sum_w
    csat = sum(wi for wi, yi in zip(w, y, strict=True) if yi >= 4) / sum_w
    assert csat == 0.7
    variance = (
        n / (n - 1) * sum(wi**2 * (yi - mean) ** 2 for wi, yi in zip(w, y, strict=True)) / sum_w**2
    )
    half = sp.t.ppf(0.975, n - 1) * math.sqrt(variance)
    n_eff = sum_w**2 / sum(wi**2 for wi in w)
    z = sp.norm.ppf(0.975)
    centre = (csat + z**2 / (2 * n_eff)) / (1 + z**2 / n_eff)
    spread = z / (1 + z**2 / n_eff) * math.sqrt(csat * (1 - csat) / n_eff + z**2 / (4 * n_eff**2))
    assert weighted["csat"] == pytest.approx(0.7, rel=1e-12)
    assert weighted["mean"] == pytest.approx(mean, rel=1e-12)
    assert weighted["mean_ci95"] == pytest.approx([mean - half, mean + half], rel=1e-9)
    assert weighted["effective_n"] == pytest.approx(n_eff, rel=1e-12)
    assert weighted["csat_ci95"] == pytest.approx([centre - spread, centre + spread], rel=1e-9)
