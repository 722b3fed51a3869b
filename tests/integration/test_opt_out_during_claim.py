"""An opt-out committed while dispatch or reminders claim its customer's survey (seen while
writing the soak test's opt-out check): a claim reads the opt-outs, then commits; an opt-out
committed in between let a survey or its reminder be claimed, and sent, after the opt-out was
committed. Now the opt-out waits for a claim under way on its customer's claimable surveys,
and a claim skips the surveys of an opt-out under way."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from survey.context import Context
from survey.delivery.claim import ClaimSlice
from survey.delivery.dispatch import _claimer as dispatch_claimer
from survey.delivery.dispatch import dispatch_due_surveys, load_timeline
from survey.delivery.reminders import _claimer as reminder_claimer
from survey.identifiers import identifier_hashes
from survey.models import CancelCause, DeliveryStatus, Survey
from survey.optouts import record_opt_out
from tests.factories import make_survey
from tests.integration.test_scheduler import wait_until
from tests.plugins.delivery import FakeTwilio, twilio_settings

PHONE = "+46701112233"
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def settings_overrides(
    settings_overrides: dict[str, Any], fake_twilio: FakeTwilio
) -> dict[str, Any]:
    return {**settings_overrides, **twilio_settings(fake_twilio)}


def _opt_out(ctx: Context, session: Session) -> None:
    hashes = identifier_hashes(ctx.settings.identifier_key, PHONE, None, None)
    record_opt_out(session, hashes=hashes, source="api:soak", now=ctx.now())
    session.flush()


def _waiting_on_a_lock(ctx: Context) -> int:
    with ctx.engine.connect() as connection:
        query = text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return int(connection.execute(query).scalar_one())


def _in_thread(work: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def _status(ctx: Context, survey_id: int | None) -> Survey:
    with ctx.session() as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        return survey


def _dispatch_claim(ctx: Context) -> ClaimSlice:
    return dispatch_claimer(ctx, ctx.now(), load_timeline(ctx), Counter())


def _reminder_claim(ctx: Context) -> ClaimSlice:
    return reminder_claimer(ctx, ctx.now(), Counter())


SENT_AWAITING_REMINDER = {
    "delivery_status": DeliveryStatus.sent,
    "reminder_due_at": datetime.now(UTC) - timedelta(minutes=1),
    "expires_at": datetime.now(UTC) + timedelta(days=5),
}


@pytest.mark.parametrize(
    ("claimer", "fields"),
    [(_dispatch_claim, {}), (_reminder_claim, SENT_AWAITING_REMINDER)],
    ids=["send", "reminder"],
)
def test_an_opt_out_waits_for_a_claim_under_way_so_the_message_was_claimed_before_it(
    ctx: Context,
    fake_twilio: FakeTwilio,
    claimer: Callable[[Context], ClaimSlice],
    fields: dict[str, Any],
) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session, contact={"customer_phone": PHONE}, **fields)
    claim = claimer(ctx)
    with ctx.session() as claiming:
        assert len(claim(claiming, "sms", 5).messages) == 1  # opt-outs read: none yet

        def opt_out() -> None:
            with ctx.session() as session:
                _opt_out(ctx, session)
                session.commit()

        registering = _in_thread(opt_out)
        wait_until(lambda: not registering.is_alive() or _waiting_on_a_lock(ctx) > 0)
        assert registering.is_alive(), "the opt-out was committed inside the claim"
        claiming.commit()
    registering.join(timeout=30)
    assert not registering.is_alive()
    claimed = _status(ctx, survey.id)
    if fields:
        assert claimed.reminder_sent_at is not None
    else:
        assert claimed.delivery_status == DeliveryStatus.sending


def test_a_claim_skips_the_survey_of_an_opt_out_under_way_and_the_next_cancels_it(
    ctx: Context, fake_twilio: FakeTwilio
) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session, contact={"customer_phone": PHONE})
    with ctx.session() as registering:
        _opt_out(ctx, registering)  # its survey locked, not yet committed
        assert dispatch_due_surveys(ctx).get("sent", 0) == 0
        assert _status(ctx, survey.id).delivery_status == DeliveryStatus.scheduled
        registering.commit()
    assert dispatch_due_surveys(ctx).get("cancelled") == 1
    cancelled = _status(ctx, survey.id)
    assert cancelled.delivery_status == DeliveryStatus.cancelled
    assert cancelled.cancel_cause == CancelCause.opted_out
    assert fake_twilio.requests == []
