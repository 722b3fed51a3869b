"""`survey audit`: every decision recomputed from the secrets; rotation by fingerprint."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlmodel import col

from survey.context import Context
from survey.models import SamplingDecision
from survey.sampling.job import run_sampling
from tests.factories import make_actor, make_contact

CLOSED = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
PERIOD = ("--from", "2026-03-01", "--to", "2026-04-01")


def sample_cases(ctx: Context, n: int = 40) -> None:
    with ctx.session() as session:
        actor = make_actor(session)
        for i in range(n):
            make_contact(
                session,
                actor,
                case_ref=f"AUD-{i}",
                customer_phone=f"+4670{i:07d}",
                closed_at=CLOSED + timedelta(minutes=i),
            )
    run_sampling(ctx)


def test_verify_recomputes_every_decision(runner: Callable[..., Any], ctx: Context) -> None:
    sample_cases(ctx)
    result = runner("audit", "verify", *PERIOD)
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "checked 40 decisions, 0 mismatches"


def test_verify_covers_only_the_period(runner: Callable[..., Any], ctx: Context) -> None:
    sample_cases(ctx, 3)
    result = runner("audit", "verify", "--from", "2026-03-11", "--to", "2026-03-12")
    assert result.output.strip().splitlines()[-1] == "checked 0 decisions, 0 mismatches"


@pytest.mark.parametrize("tamper", ["flip", "reason"])
def test_a_tampered_decision_is_a_mismatch(
    runner: Callable[..., Any], ctx: Context, tamper: str
) -> None:
    sample_cases(ctx)
    with ctx.session() as session:
        victim = session.scalars(
            select(SamplingDecision).where(col(SamplingDecision.reason) == "not_drawn").limit(1)
        ).one()
        values: dict[str, Any] = (
            {"drawn": True, "reason": "do_not_survey"}
            if tamper == "flip"
            else {"reason": "too_old"}
        )
        session.execute(
            update(SamplingDecision).where(col(SamplingDecision.id) == victim.id).values(**values)
        )
        session.commit()
    result = runner("audit", "verify", *PERIOD)
    assert result.exit_code == 1
    assert f"MISMATCH {victim.case_ref}" in result.output


def test_a_deleted_decision_is_a_mismatch(runner: Callable[..., Any], ctx: Context) -> None:
    sample_cases(ctx)
    with ctx.session() as session:
        victim = session.scalars(
            select(SamplingDecision.case_ref)
            .where(col(SamplingDecision.reason) == "not_drawn")
            .limit(1)
        ).one()
        session.execute(delete(SamplingDecision).where(col(SamplingDecision.case_ref) == victim))
        session.commit()
    result = runner("audit", "verify", *PERIOD)
    assert result.exit_code == 1
    assert f"MISMATCH {victim}: decided but no decision is recorded" in result.output


def test_a_rotated_secret_still_verifies_by_its_fingerprint(
    runner: Callable[..., Any], ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample_cases(ctx)
    monkeypatch.setenv("SURVEY_SAMPLING_SECRET", "the-new-secret")
    monkeypatch.setenv("SURVEY_PREVIOUS_SAMPLING_SECRETS", "test-sampling-secret")
    assert runner("audit", "rotate-secret", "--reason", "yearly").exit_code == 0
    assert runner("audit", "verify", *PERIOD).exit_code == 0
    monkeypatch.setenv("SURVEY_PREVIOUS_SAMPLING_SECRETS", "")
    forgotten = runner("audit", "verify", *PERIOD)
    assert forgotten.exit_code == 1
    assert "no known secret has fingerprint" in forgotten.output


def test_decisions_record_the_fingerprint_of_the_secret_in_force(
    make_ctx: Callable[..., Context],
) -> None:
    first = make_ctx(sampling_rate="1")
    with first.session() as session:
        make_contact(session, make_actor(session), case_ref="OLD-KEY", closed_at=CLOSED)
    run_sampling(first)
    second = make_ctx(sampling_rate="1", sampling_secret="rotated")
    with second.session() as session:
        make_contact(session, make_actor(session), case_ref="NEW-KEY", closed_at=CLOSED)
    run_sampling(second)
    with first.session() as session:
        rows = dict(
            session.execute(
                select(SamplingDecision.case_ref, SamplingDecision.key_fingerprint)
            ).all()
        )
    assert rows["OLD-KEY"] == hashlib.sha256(b"test-sampling-secret").hexdigest()
    assert rows["NEW-KEY"] == hashlib.sha256(b"rotated").hexdigest()


def test_fingerprint_prints_sha256_of_the_secret(runner: Callable[..., Any]) -> None:
    result = runner("audit", "fingerprint")
    assert result.exit_code == 0
    assert result.output.strip() == hashlib.sha256(b"test-sampling-secret").hexdigest()


def test_verify_applies_the_case_reference_normalisation_in_force_at_each_decision(
    ctx: Context,
) -> None:
    """A reference with a zero-width space was in normal form before version 2 (2026-11-30)
    and is not after it: an old case verifies, a new one so stored is a mismatch."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from survey.models import SamplingDecision
    from survey.sampling.draw import key_fingerprint
    from survey.sampling.verify import verify_decisions
    from tests.factories import make_survey

    old, new = datetime(2026, 3, 2, 10, tzinfo=UTC), datetime(2026, 12, 2, 10, tzinfo=UTC)
    with ctx.session() as session:
        for moment, ref in ((old, "OLD\u200b-1"), (new, "NEW\u200b-1")):
            survey = make_survey(ctx, session, contact={"case_ref": ref, "closed_at": moment})
            session.execute(
                update(SamplingDecision)
                .where(SamplingDecision.id == survey.decision_id)
                .values(
                    decided_at=moment,
                    key_fingerprint=key_fingerprint(ctx.settings.sampling_secret),
                )
            )
        session.commit()
        result = verify_decisions(
            session,
            ctx.settings,
            start=datetime(2026, 1, 1, tzinfo=UTC),
            end=datetime(2027, 1, 1, tzinfo=UTC),
        )
    problems = {(m.case_ref, m.problem) for m in result.mismatches}
    assert ("NEW\u200b-1", "the case reference is not in the form of normalisation 2") in problems
    assert not any(ref == "OLD\u200b-1" for ref, _ in problems)
