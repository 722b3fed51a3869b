"""The sampling job on SQLite and PostgreSQL: one decision per case, suppression in SPEC order."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlmodel import Session, col

from survey.context import Context
from survey.identifiers import identifier_hashes
from survey.models import (
    AuditLog,
    Case,
    DeliveryStatus,
    OptOut,
    SamplingDecision,
    Survey,
    SurveyIdentifier,
)
from survey.sampling.draw import key_fingerprint
from survey.sampling.job import run_sampling
from tests.factories import make_actor, make_contact, make_survey, set_policy

CLOSED = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # 11:00 in Stockholm, a Tuesday


@pytest.fixture
def everyone(make_ctx: Callable[..., Context]) -> Context:
    """Every case drawn, so that the suppression rules decide."""
    return make_ctx(sampling_rate="1")


def decisions(ctx: Context) -> dict[str, str]:
    with ctx.session() as session:
        rows = session.execute(select(SamplingDecision.case_ref, SamplingDecision.reason))
        return {ref: reason for ref, reason in rows}


def contact(session: Session, actor: Any = None, **fields: Any) -> Any:
    fields.setdefault("closed_at", CLOSED)
    return make_contact(session, actor or make_actor(session), **fields)


def test_a_drawn_case_gets_one_survey_attributed_to_its_last_closed_contact(
    everyone: Context,
) -> None:
    with everyone.session() as session:
        inhouse, outsourced = make_actor(session), make_actor(session)
        contact(session, inhouse, case_ref="C-1", agent="anna", channel="phone")
        last = contact(
            session,
            outsourced,
            case_ref="C-1",
            agent="bo",
            team="team-b",
            channel="email",
            customer_email="kund@example.se",
            closed_at=CLOSED + timedelta(minutes=30),
        )
    counts = run_sampling(everyone)
    assert counts["selected"] == 1
    with everyone.session() as session:
        survey = session.scalars(select(Survey)).one()
        decision = session.scalars(select(SamplingDecision)).one()
        case = session.get(Case, "C-1")
        kinds = session.scalars(
            select(SurveyIdentifier.kind).where(col(SurveyIdentifier.survey_id) == survey.id)
        ).all()
    assert (survey.contact_id, survey.actor_id, survey.agent, survey.team) == (
        last.id,
        outsourced.id,
        "bo",
        "team-b",
    )
    assert (survey.send_channel, survey.to_address) == ("email", "kund@example.se")
    assert survey.closed_at == CLOSED + timedelta(minutes=30)
    assert str(survey.closed_local_date) == "2026-03-10"
    assert (survey.closed_week, survey.closed_month) == ("2026-W11", "2026-03")
    assert survey.send_at == CLOSED + timedelta(minutes=90)
    assert survey.first_send_at == survey.send_at
    assert survey.delivery_status == DeliveryStatus.scheduled
    assert decision.drawn and decision.reason == "selected" and decision.rate == "1"
    assert decision.key_fingerprint == key_fingerprint("test-sampling-secret")
    assert case is not None and case.decided_at is not None
    assert sorted(kinds) == ["email", "phone"]


def test_contacts_closed_at_the_same_moment_attribute_to_the_later_stored(
    everyone: Context,
) -> None:
    with everyone.session() as session:
        contact(session, case_ref="TIE", agent="first", customer_phone="+46700000101")
        later = contact(session, case_ref="TIE", agent="second", customer_phone="+46700000102")
        contact(session, case_ref="OTHER", agent="other", closed_at=CLOSED + timedelta(hours=1))
    run_sampling(everyone)
    with everyone.session() as session:
        rows = session.execute(select(Survey.case_ref, Survey.contact_id, Survey.to_address))
        attributed = {ref: (contact_id, to) for ref, contact_id, to in rows}
    assert attributed["TIE"] == (later.id, "+46700000102")
    assert set(attributed) == {"TIE", "OTHER"}


def test_a_case_is_drawn_once_and_a_later_contact_postpones_the_send(everyone: Context) -> None:
    with everyone.session() as session:
        actor = make_actor(session)
        contact(session, actor, case_ref="C-2")
    run_sampling(everyone)
    with everyone.session() as session:
        contact(session, actor, case_ref="C-2", closed_at=CLOSED + timedelta(hours=2))
    counts = run_sampling(everyone)
    with everyone.session() as session:
        survey = session.scalars(select(Survey)).one()
        n_decisions = session.scalar(select(func.count()).select_from(SamplingDecision))
    assert n_decisions == 1
    assert counts["postponed"] == 1
    assert survey.first_send_at == CLOSED + timedelta(hours=1)
    assert survey.send_at == CLOSED + timedelta(hours=3)
    assert survey.contact_id is not None


def test_postponement_stops_at_the_maximum(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(sampling_rate="1", max_postpone_hours=2, quiet_hours="")
    with ctx.session() as session:
        actor = make_actor(session)
        contact(session, actor, case_ref="C-3")
    run_sampling(ctx)
    with ctx.session() as session:
        contact(session, actor, case_ref="C-3", closed_at=CLOSED + timedelta(hours=30))
    run_sampling(ctx)
    with ctx.session() as session:
        survey = session.scalars(select(Survey)).one()
    assert survey.send_at == CLOSED + timedelta(hours=3)


def test_a_send_held_at_the_maximum_postponement_is_audited_once(
    make_ctx: Callable[..., Context],
) -> None:
    ctx = make_ctx(sampling_rate="1", max_postpone_hours=2, quiet_hours="")
    with ctx.session() as session:
        first, later = make_actor(session, "in-house"), make_actor(session, "outsourced")
        contact(session, first, case_ref="CAP")
    run_sampling(ctx)
    with ctx.session() as session:
        contact(session, first, case_ref="CAP", closed_at=CLOSED + timedelta(hours=1))
    run_sampling(ctx)  # moved within the maximum: nothing to record
    with ctx.session() as session:
        assert session.scalars(select(AuditLog.action)).all() == ["policy.initial"]
        contact(
            session,
            later,
            case_ref="CAP",
            external_id="late-1",
            closed_at=CLOSED + timedelta(hours=30),
        )
    run_sampling(ctx)
    run_sampling(ctx)
    with ctx.session() as session:
        contact(session, later, case_ref="CAP", closed_at=CLOSED + timedelta(hours=40))
    run_sampling(ctx)
    with ctx.session() as session:
        survey = session.scalars(select(Survey)).one()
        entries = session.scalars(
            select(AuditLog).where(col(AuditLog.action) == "survey.postponement_capped")
        ).all()
    assert survey.send_at == CLOSED + timedelta(hours=3)
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.who, entry.subject) == ("actor:outsourced", "CAP")
    assert entry.details["survey_id"] == survey.id and entry.details["contact"] == "late-1"
    assert entry.details["max_postpone_hours"] == 2
    assert "maximum postponement" in entry.details["cause"]
    assert entry.details["held_at"] == (CLOSED + timedelta(hours=3)).isoformat()


def test_nothing_is_drawn_at_rate_zero(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(sampling_rate="0")
    with ctx.session() as session:
        contact(session, case_ref="C-4")
    assert run_sampling(ctx)["not_drawn"] == 1
    assert decisions(ctx) == {"C-4": "not_drawn"}
    with ctx.session() as session:
        assert session.scalar(select(func.count()).select_from(Survey)) == 0


def test_a_case_decided_before_keeps_its_first_decision(make_ctx: Callable[..., Context]) -> None:
    """A case back undecided, its decision written: the unique constraint is the last guard."""
    none = make_ctx(sampling_rate="0")
    with none.session() as session:
        contact(session, case_ref="C-5")
        contact(session, case_ref="C-6")
    run_sampling(none)
    with none.session() as session:  # as if C-5 had come back undecided
        session.execute(update(Case).where(col(Case.case_ref) == "C-5").values(decided_at=None))
        session.commit()
        # A new case of another customer, decided in the same batch as C-5.
        contact(session, case_ref="C-7", customer_phone="+46709999999")
    set_policy(none, rate="1")
    run_sampling(none)
    assert decisions(none) == {"C-5": "not_drawn", "C-6": "not_drawn", "C-7": "selected"}
    with none.session() as session:
        surveyed = session.scalars(select(Survey.case_ref)).all()
        case = session.get(Case, "C-5")
    assert surveyed == ["C-7"]
    assert case is not None and case.decided_at is not None


def test_each_suppression_rule(everyone: Context) -> None:
    key = everyone.settings.identifier_key
    with everyone.session() as session:
        actor = make_actor(session)
        contact(session, actor, case_ref="DNS", customer_phone="+46700000001")
        contact(
            session,
            actor,
            case_ref="DNS",
            customer_phone="+46700000001",
            do_not_survey=True,
            do_not_survey_reason="protected identity",
        )
        contact(session, actor, case_ref="OPT", customer_phone="+46700000002")
        for digest, kind in identifier_hashes(key, "+46700000002", None, None).items():
            session.add(OptOut(identifier_hash=digest, kind=kind, source="api:north"))
        session.commit()
        contact(
            session,
            actor,
            case_ref="OLD",
            customer_phone="+46700000003",
            received_at=CLOSED + timedelta(hours=73),
        )
        contact(
            session,
            actor,
            case_ref="LATE-BUT-OK",
            customer_phone="+46700000004",
            received_at=CLOSED + timedelta(hours=71),
        )
        contact(session, actor, case_ref="NOWHERE", customer_phone=None, customer_email=None)
    run_sampling(everyone)
    assert decisions(everyone) == {
        "DNS": "do_not_survey",
        "OPT": "opted_out",
        "OLD": "too_old",
        "LATE-BUT-OK": "selected",
        "NOWHERE": "no_reachable_address",
    }


def test_do_not_survey_comes_before_opt_out(everyone: Context) -> None:
    key = everyone.settings.identifier_key
    with everyone.session() as session:
        contact(session, case_ref="BOTH", do_not_survey=True, customer_phone="+46700000009")
        for digest, kind in identifier_hashes(key, "+46700000009", None, None).items():
            session.add(OptOut(identifier_hash=digest, kind=kind, source="api:north"))
        session.commit()
    run_sampling(everyone)
    assert decisions(everyone) == {"BOTH": "do_not_survey"}


def test_a_case_with_a_survey_already_is_not_surveyed_again(everyone: Context) -> None:
    with everyone.session() as session:
        survey = make_survey(everyone, session)
        # As if the case had come back undecided: its existing survey still stands.
        session.execute(
            update(Case).where(col(Case.case_ref) == survey.case_ref).values(decided_at=None)
        )
        session.commit()
    counts = run_sampling(everyone)
    assert counts["case_already_surveyed"] == 1
    assert decisions(everyone) == {survey.case_ref: "selected"}
    with everyone.session() as session:
        assert session.scalar(select(func.count()).select_from(Survey)) == 1
        case = session.get(Case, survey.case_ref)
    assert case is not None and case.decided_at is not None


def test_frequency_cap_suppresses_a_customer_surveyed_within_the_cap(everyone: Context) -> None:
    with everyone.session() as session:
        actor = make_actor(session)
        make_survey(
            everyone,
            session,
            actor=actor,
            contact={"customer_phone": "+46701111111", "closed_at": CLOSED - timedelta(days=30)},
        )
        make_survey(
            everyone,
            session,
            actor=actor,
            contact={"customer_phone": "+46702222222", "closed_at": CLOSED - timedelta(days=31)},
        )
        contact(session, actor, case_ref="RECENT", customer_phone="+46701111111")
        contact(session, actor, case_ref="LONG-AGO", customer_phone="+46702222222")
    run_sampling(everyone)
    found = decisions(everyone)
    assert found["RECENT"] == "customer_surveyed_recently"
    assert found["LONG-AGO"] == "selected"


def test_a_cancelled_survey_does_not_count_against_the_cap(everyone: Context) -> None:
    with everyone.session() as session:
        make_survey(
            everyone,
            session,
            delivery_status=DeliveryStatus.cancelled,
            contact={"customer_phone": "+46703333333", "closed_at": CLOSED - timedelta(days=1)},
        )
        contact(session, case_ref="AFTER-CANCEL", customer_phone="+46703333333")
    run_sampling(everyone)
    assert decisions(everyone)["AFTER-CANCEL"] == "selected"


def test_frequency_cap_zero_is_off(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(sampling_rate="1", frequency_cap_days=0)
    with ctx.session() as session:
        actor = make_actor(session)
        contact(session, actor, case_ref="A", customer_phone="+46704444444")
        contact(session, actor, case_ref="B", customer_phone="+46704444444")
    run_sampling(ctx)
    assert decisions(ctx) == {"A": "selected", "B": "selected"}


def test_cases_are_decided_in_order_of_last_closure_not_of_arrival(everyone: Context) -> None:
    with everyone.session() as session:
        actor = make_actor(session)
        contact(session, actor, case_ref="LATER", customer_email="x@example.se")
        contact(
            session,
            actor,
            case_ref="EARLIER",
            customer_phone=None,
            customer_ref="cust-9",
            customer_email="x@example.se",
            closed_at=CLOSED - timedelta(hours=1),
        )
    run_sampling(everyone, batch_size=1)
    assert decisions(everyone) == {"EARLIER": "selected", "LATER": "customer_surveyed_recently"}


def test_send_time_leaves_the_quiet_hours(everyone: Context) -> None:
    evening = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)  # 19:30 in Stockholm
    with everyone.session() as session:
        contact(session, case_ref="EVENING", closed_at=evening)
    run_sampling(everyone)
    with everyone.session() as session:
        survey = session.scalars(select(Survey)).one()
    assert survey.send_at == datetime(2026, 3, 11, 8, 0, tzinfo=UTC)  # 09:00 next morning


def test_jobs_run_once_sample_prints_the_counts(runner: Callable[..., Any], ctx: Context) -> None:
    with ctx.session() as session:
        contact(session, case_ref="CLI-1")
    result = runner("jobs", "run-once", "sample")
    assert result.exit_code == 0, result.output
    line = json.loads(result.output.strip().splitlines()[-1])
    assert line["job"] == "sample"
    assert sum(v for k, v in line["result"].items() if k not in ("postponed", "cancelled")) == 1
    assert len(decisions(ctx)) == 1


def test_a_later_do_not_survey_contact_cancels_the_scheduled_survey(everyone: Context) -> None:
    with everyone.session() as session:
        actor = make_actor(session)
        contact(session, actor, case_ref="LATER-DNS")
        contact(session, actor, case_ref="STAYS", customer_phone="+46705555555")
    run_sampling(everyone)
    with everyone.session() as session:
        contact(
            session,
            actor,
            case_ref="LATER-DNS",
            do_not_survey=True,
            do_not_survey_reason="minor",
            closed_at=CLOSED + timedelta(minutes=5),
        )
    counts = run_sampling(everyone)
    with everyone.session() as session:
        statuses = dict(session.execute(select(Survey.case_ref, Survey.delivery_status)).all())
    assert counts["cancelled"] == 1
    assert statuses == {"LATER-DNS": "cancelled", "STAYS": "scheduled"}
    with everyone.session() as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "survey.cancelled")).one()
    assert (entry.who, entry.subject) == (f"actor:{actor.name}", "LATER-DNS")
    assert entry.details["cause"] == "do_not_survey" and entry.details["reason"] == "minor"


def test_a_case_whose_contacts_were_erased_before_the_draw_is_unreachable(
    everyone: Context,
) -> None:
    with everyone.session() as session:
        session.add(
            Case(
                case_ref="ERASED",
                last_closed_at=CLOSED,
                last_closed_local_date=CLOSED.date(),
                contact_count=1,
            )
        )
        session.commit()
    run_sampling(everyone)
    assert decisions(everyone) == {"ERASED": "no_reachable_address"}


def test_the_sampler_runs_every_minute_in_the_job_table() -> None:
    from jobs import get_job, sample

    job = get_job("sample")
    assert (job.target, job.seconds) == (sample.run, 60)


def test_cases_closed_together_are_claimed_in_code_point_order_of_case_ref(
    make_ctx: Callable[..., Context],
) -> None:
    # A locale's order would put "a" before "B" and "ä" before "b"; code points do not.
    refs = ["b", "a", "ä", "B", "A-2", "A-10"]
    ctx = make_ctx(sampling_rate="0")
    with ctx.session() as session:
        actor = make_actor(session)
        for ref in refs:
            contact(session, actor, case_ref=ref)
    # One worker: with several, batches claimed in this order may be written side by side.
    run_sampling(ctx, batch_size=2, workers=1)
    with ctx.session() as session:
        order = session.scalars(select(SamplingDecision.case_ref).order_by(SamplingDecision.id))
        assert list(order) == sorted(refs)
