"""`survey scheduler` under SIGTERM: the slice in flight finishes and is recorded, no further
slice is claimed, the heartbeat goes with the process."""

from __future__ import annotations

import signal
from typing import Any

import pytest
from sqlmodel import select

from survey.context import Context
from survey.models import DeliveryStatus, Survey
from survey.monitoring.health import scheduler_heartbeat
from tests.factories import make_survey
from tests.integration.test_scheduler import Scheduler, wait_until
from tests.plugins.delivery import FakeTwilio, twilio_settings

SURVEYS = 10
CONCURRENCY = 2


@pytest.fixture
def settings_overrides(
    settings_overrides: dict[str, Any], fake_twilio: FakeTwilio
) -> dict[str, Any]:
    return {
        **settings_overrides,
        **twilio_settings(fake_twilio, dispatch_concurrency=CONCURRENCY),
    }


@pytest.mark.slow
def test_sigterm_lets_the_sends_in_flight_finish_and_claims_nothing_more(
    ctx: Context, cli_env: dict[str, str], fake_twilio: FakeTwilio
) -> None:
    with ctx.session() as session:
        for n in range(SURVEYS):
            make_survey(ctx, session, contact={"customer_phone": f"+4670200{n:04d}"})
    fake_twilio.delay = 1.5
    scheduler = Scheduler(cli_env)
    try:
        wait_until(lambda: len(fake_twilio.requests) >= 1 or scheduler.ended())
        assert not scheduler.ended(), scheduler.output()
        assert scheduler_heartbeat(ctx).alive
        scheduler.process.send_signal(signal.SIGTERM)
        scheduler.process.wait(timeout=30)
        wait_until(scheduler.ended, seconds=10)
    finally:
        if not scheduler.ended():
            scheduler.process.kill()
        scheduler.stop()
    assert scheduler.process.returncode == 0, scheduler.output()
    assert "scheduler stopped" in scheduler.output()

    with ctx.session() as session:
        surveys = list(session.exec(select(Survey)))
    states = [s.delivery_status for s in surveys]
    sent = [s for s in surveys if s.delivery_status == DeliveryStatus.sent]
    assert DeliveryStatus.sending not in states and DeliveryStatus.unknown not in states
    assert 1 <= len(sent) == len(fake_twilio.requests) < SURVEYS
    assert all(s.provider_message_id for s in sent)
    assert states.count(DeliveryStatus.scheduled) == SURVEYS - len(sent)
    assert not scheduler_heartbeat(ctx).alive
