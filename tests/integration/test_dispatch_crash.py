"""A dispatcher killed mid-run: nothing is sent twice, at most the concurrency's worth of
surveys is left without an outcome, and every survey ends with a reason."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from survey.context import Context
from survey.delivery.dispatch import dispatch_due_surveys
from survey.delivery.reconcile import reconcile_unknown_sms
from survey.models import DeliveryStatus, Survey
from tests.factories import make_survey
from tests.plugins.delivery import FakeTwilio, twilio_settings

ROOT = Path(__file__).resolve().parents[2]
SURVEYS = 24
CONCURRENCY = 4


@pytest.fixture
def settings_overrides(
    settings_overrides: dict[str, Any], fake_twilio: FakeTwilio
) -> dict[str, Any]:
    return {
        **settings_overrides,
        **twilio_settings(fake_twilio, dispatch_concurrency=CONCURRENCY),
    }


def _states(ctx: Context) -> list[Survey]:
    with ctx.session() as session:
        return list(session.exec(select(Survey)))


@pytest.mark.slow
def test_a_killed_dispatcher_leaves_at_most_its_concurrency_unknown_and_sends_nothing_twice(
    ctx: Context, cli_env: dict[str, str], fake_twilio: FakeTwilio
) -> None:
    with ctx.session() as session:
        for n in range(SURVEYS):
            make_survey(ctx, session, contact={"customer_phone": f"+4670100{n:04d}"})
    fake_twilio.delay = 2.0  # a slow provider: slices of CONCURRENCY wait on it
    process = subprocess.Popen(
        [sys.executable, "-m", "survey", "jobs", "run-once", "dispatch"],
        cwd=ROOT,
        env={**os.environ, **cli_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while len(fake_twilio.requests) < 2 * CONCURRENCY + 1 and time.monotonic() < deadline:
            assert process.poll() is None, "the dispatcher ended before it could be killed"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    fake_twilio.delay = 0.0

    killed = _states(ctx)
    in_flight = [s for s in killed if s.delivery_status == DeliveryStatus.sending]
    assert 0 < len(in_flight) <= CONCURRENCY, "not mid-run, or more claimed than in flight"
    assert sum(s.delivery_status == DeliveryStatus.scheduled for s in killed) >= SURVEYS // 2

    # Later runs: first within the lease (nothing may be re-sent), then after it.
    dispatch_due_surveys(ctx)
    later = datetime.now(UTC) + timedelta(minutes=10)
    ctx.now = lambda: later
    dispatch_due_surveys(ctx)
    dispatch_due_surveys(ctx)

    per_survey = fake_twilio.per_survey()
    assert max(per_survey.values()) == 1, "a survey was sent twice"
    final = _states(ctx)
    assert len(final) == SURVEYS
    unknown = [s for s in final if s.delivery_status == DeliveryStatus.unknown]
    assert len(unknown) <= CONCURRENCY
    assert {s.id for s in unknown} == {s.id for s in in_flight}
    for survey in final:
        assert survey.delivery_status in (DeliveryStatus.sent, DeliveryStatus.unknown)
        if survey.delivery_status == DeliveryStatus.sent:
            assert survey.provider_message_id and per_survey[str(survey.id)] == 1
        else:
            assert survey.last_error and survey.error_category == "interrupted"

    # Asking Twilio settles those it got; those it never got go once more, after its silence.
    reached = sum(str(s.id) in per_survey for s in unknown)
    assert reconcile_unknown_sms(ctx).get("sent", 0) == reached
    much_later = later + timedelta(hours=2)
    ctx.now = lambda: much_later
    assert reconcile_unknown_sms(ctx).get("retried", 0) == len(unknown) - reached
    dispatch_due_surveys(ctx)
    assert {s.delivery_status for s in _states(ctx)} == {DeliveryStatus.sent}
    assert fake_twilio.per_survey() == {str(s.id): 1 for s in final}
