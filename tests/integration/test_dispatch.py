"""Dispatch through the outbox and through a scripted channel: states, retries, opt-outs."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from survey.channels.base import Message, SendResult
from survey.context import Context
from survey.delivery.claim import Slice
from survey.delivery.dispatch import MAX_ATTEMPTS, dispatch_due_surveys
from survey.delivery.sending import deliver
from survey.identifiers import identifier_hashes
from survey.models import (
    Actor,
    AuditLog,
    DeliveryStatus,
    OptOut,
    OutboxMessage,
    ResponseStatus,
    Survey,
)
from survey.optouts import record_opt_out
from survey.tokens import opt_out_url, survey_url
from tests.factories import make_contact, make_survey
from tests.plugins.delivery import DELIVERY_SETTINGS


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, **DELIVERY_SETTINGS}


class ScriptedChannel:
    """Answers each send with the next scripted result and remembers what it was asked."""

    def __init__(self, name: str, *results: SendResult) -> None:
        self.name = name
        self.results = list(results)
        self.sent: list[Message] = []
        self.lock = threading.Lock()

    def send(self, message: Message) -> SendResult:
        with self.lock:
            self.sent.append(message)
            return self.results.pop(0) if len(self.results) > 1 else self.results[0]

    def close(self) -> None:
        pass


def _reload(ctx: Context, survey_id: int | None) -> Survey:
    with ctx.session() as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        return survey


def test_a_due_sms_goes_to_the_outbox_with_its_links_and_is_sent(ctx: Context) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session)
    counts = dispatch_due_surveys(ctx)
    assert counts["sent"] == 1
    done = _reload(ctx, survey.id)
    assert done.delivery_status == DeliveryStatus.sent
    assert done.attempts == 1 and done.sent_at is not None and done.lease_until is None
    assert done.provider_message_id and done.provider_message_id.startswith("outbox-")
    assert done.expires_at and done.reminder_due_at
    assert abs(done.expires_at - done.sent_at - timedelta(days=7)) < timedelta(seconds=5)
    assert abs(done.reminder_due_at - done.sent_at - timedelta(hours=48)) < timedelta(seconds=5)
    with ctx.session() as session:
        (row,) = session.exec(select(OutboxMessage)).all()
    assert survey.id is not None
    link = survey_url("https://survey.test", ctx.settings.secret_key, survey.id)
    assert row.link == link and link in row.body
    assert opt_out_url("https://survey.test", ctx.settings.secret_key, survey.id) in row.body
    assert "https://survey.test/privacy" in row.body
    assert row.to_address == "+46701234567" and row.channel == "sms"


def test_an_email_survey_in_english_has_subject_text_and_html(ctx: Context) -> None:
    with ctx.session() as session:
        make_survey(
            ctx,
            session,
            contact={"channel": "email", "customer_email": "a@example.se", "customer_phone": None},
            language="en",
        )
    dispatch_due_surveys(ctx)
    with ctx.session() as session:
        (row,) = session.exec(select(OutboxMessage)).all()
    assert row.channel == "email" and row.to_address == "a@example.se"
    assert row.subject and "What did you think" in row.subject
    assert row.html_body and f'href="{row.link}"' in row.html_body


def test_a_survey_not_yet_due_is_left_alone(ctx: Context) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session, send_at=datetime.now(UTC) + timedelta(minutes=5))
    assert dispatch_due_surveys(ctx).get("sent", 0) == 0
    assert _reload(ctx, survey.id).delivery_status == DeliveryStatus.scheduled


def test_an_opt_out_after_scheduling_cancels_the_send(ctx: Context) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session)
        hashes = identifier_hashes(ctx.settings.identifier_key, "+46701234567", None, None)
        # A source the server records for an actor's API opt-out (SPEC section 6).
        record_opt_out(session, hashes=hashes, source="api:north", now=datetime.now(UTC))
        session.commit()
    counts = dispatch_due_surveys(ctx)
    done = _reload(ctx, survey.id)
    assert counts["cancelled"] == 1
    assert done.delivery_status == DeliveryStatus.cancelled
    assert done.response_status == ResponseStatus.opted_out
    assert done.last_error and "opted out" in done.last_error
    with ctx.session() as session:
        assert session.exec(select(OutboxMessage)).all() == []
        entry = session.exec(select(AuditLog).where(AuditLog.action == "survey.cancelled")).one()
    assert (entry.subject, entry.details["cause"]) == (survey.case_ref, "opted_out")
    assert entry.who == "api:north"  # the source of the opt-out that stopped it


def test_a_send_left_in_sending_past_its_lease_becomes_unknown_and_is_not_resent(
    ctx: Context,
) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    with ctx.session() as session:
        survey = make_survey(
            ctx, session, delivery_status=DeliveryStatus.sending, lease_until=past, attempts=1
        )
    counts = dispatch_due_surveys(ctx)
    done = _reload(ctx, survey.id)
    assert counts["unknown_after_lease"] == 1
    assert done.delivery_status == DeliveryStatus.unknown and done.last_error
    assert dispatch_due_surveys(ctx).get("sent", 0) == 0
    with ctx.session() as session:
        assert session.exec(select(OutboxMessage)).all() == []


def test_a_send_still_within_its_lease_is_not_touched(ctx: Context) -> None:
    future = datetime.now(UTC) + timedelta(minutes=1)
    with ctx.session() as session:
        survey = make_survey(
            ctx, session, delivery_status=DeliveryStatus.sending, lease_until=future
        )
    dispatch_due_surveys(ctx)
    assert _reload(ctx, survey.id).delivery_status == DeliveryStatus.sending


def test_a_retryable_failure_is_rescheduled_with_backoff_then_fails_at_the_limit(
    make_ctx: Any,
) -> None:
    clock = [datetime.now(UTC)]
    ctx = make_ctx()
    ctx.now = lambda: clock[0]
    with ctx.session() as session:
        survey = make_survey(ctx, session)
    channel = ScriptedChannel("sms", SendResult.retry("HTTP 429 Too Many Requests"))
    dispatch_due_surveys(ctx, channels={"sms": channel})
    first = _reload(ctx, survey.id)
    assert first.delivery_status == DeliveryStatus.scheduled and first.attempts == 1
    assert clock[0] + timedelta(seconds=29) < first.send_at <= clock[0] + timedelta(minutes=1)
    assert first.last_error == "attempt 1: HTTP 429 Too Many Requests"
    for _ in range(MAX_ATTEMPTS - 1):
        clock[0] += timedelta(hours=2)
        dispatch_due_surveys(ctx, channels={"sms": channel})
    done = _reload(ctx, survey.id)
    assert len(channel.sent) == MAX_ATTEMPTS
    assert done.delivery_status == DeliveryStatus.failed
    assert done.last_error == f"gave up after {MAX_ATTEMPTS} attempts: HTTP 429 Too Many Requests"
    clock[0] += timedelta(hours=2)
    dispatch_due_surveys(ctx, channels={"sms": channel})
    assert len(channel.sent) == MAX_ATTEMPTS


@pytest.mark.parametrize(
    ("result", "status"),
    [
        (SendResult.permanent("Twilio 21211: invalid 'To' number"), DeliveryStatus.failed),
        (SendResult.unknown("read timeout after the request was sent"), DeliveryStatus.unknown),
    ],
)
def test_permanent_and_ambiguous_outcomes_are_final(
    ctx: Context, result: SendResult, status: DeliveryStatus
) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session)
    channel = ScriptedChannel("sms", result)
    dispatch_due_surveys(ctx, channels={"sms": channel})
    dispatch_due_surveys(ctx, channels={"sms": channel})
    done = _reload(ctx, survey.id)
    assert done.delivery_status == status and done.last_error == result.error
    assert len(channel.sent) == 1


def test_a_carrier_opt_out_records_an_opt_out_for_the_phone(ctx: Context) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session)
    channel = ScriptedChannel("sms", SendResult.permanent("Twilio 21610", opted_out=True))
    dispatch_due_surveys(ctx, channels={"sms": channel})
    with ctx.session() as session:
        rows = session.exec(select(OptOut)).all()
    assert [(r.kind, r.source, r.survey_id) for r in rows] == [("phone", "sms-stop", survey.id)]
    assert _reload(ctx, survey.id).delivery_status == DeliveryStatus.failed


def test_nothing_is_sent_in_quiet_hours(make_ctx: Any) -> None:
    ctx = make_ctx(quiet_hours="20:00-09:00")
    ctx.now = lambda: datetime(2026, 3, 2, 21, 30, tzinfo=UTC)  # 22:30 in Stockholm
    with ctx.session() as session:
        survey = make_survey(ctx, session, send_at=datetime(2026, 3, 2, 18, 0, tzinfo=UTC))
    dispatch_due_surveys(ctx)
    assert _reload(ctx, survey.id).delivery_status == DeliveryStatus.scheduled


def test_rate_limits_the_claim_per_run(make_ctx: Any) -> None:
    ctx = make_ctx(sms_rate_per_second=1.0)
    with ctx.session() as session:
        for _ in range(3):
            make_survey(ctx, session)
    channel = ScriptedChannel("sms", SendResult.sent("SM1"))
    dispatch_due_surveys(ctx, channels={"sms": channel}, run_seconds=2)
    assert len(channel.sent) == 2
    with ctx.session() as session:
        states = session.exec(select(col(Survey.delivery_status))).all()
    assert sorted(states) == ["scheduled", "sent", "sent"]


def test_outbox_list_prints_the_messages_as_json(ctx: Context, runner: Any) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session)
    dispatch_due_surveys(ctx)
    result = runner("outbox", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    (item,) = json.loads(result.output)
    assert set(item) == {"to", "channel", "subject", "body", "link"}
    assert survey.id is not None
    assert item["link"] == survey_url("https://survey.test", ctx.settings.secret_key, survey.id)
    assert item["channel"] == "sms" and item["subject"] is None


class SlowChannel(ScriptedChannel):
    def send(self, message: Message) -> SendResult:
        time.sleep(0.3)
        return super().send(message)


def test_a_run_claims_nothing_after_its_time_and_leaves_the_rest_for_the_next(
    make_ctx: Any,
) -> None:
    ctx = make_ctx(dispatch_concurrency=1)
    with ctx.session() as session:
        for _ in range(3):
            make_survey(ctx, session)
    channel = SlowChannel("sms", SendResult.sent("SM1"))
    counts = dispatch_due_surveys(ctx, channels={"sms": channel}, run_seconds=0.1)
    assert counts["sent"] == 1 and len(channel.sent) == 1
    with ctx.session() as session:
        rows = session.exec(select(Survey).order_by(col(Survey.id))).all()
    assert [(r.delivery_status, r.attempts) for r in rows] == [
        ("sent", 1),
        ("scheduled", 0),
        ("scheduled", 0),
    ]
    dispatch_due_surveys(ctx, channels={"sms": channel})
    assert len(channel.sent) == 3


class CountingInFlight(SlowChannel):
    """Notes, at each send, how many surveys are claimed without a recorded outcome."""

    def __init__(self, ctx: Context, *results: SendResult) -> None:
        super().__init__("sms", *results)
        self.ctx = ctx
        self.seen: list[int] = []

    def send(self, message: Message) -> SendResult:
        with self.ctx.session() as session:
            sending = session.exec(
                select(Survey).where(col(Survey.delivery_status) == DeliveryStatus.sending)
            ).all()
        with self.lock:
            self.seen.append(len(sending))
        return super().send(message)


def test_no_more_surveys_are_claimed_than_the_concurrency_can_send_at_once(
    make_ctx: Any,
) -> None:
    ctx = make_ctx(dispatch_concurrency=3)
    with ctx.session() as session:
        for _ in range(10):
            make_survey(ctx, session)
    channel = CountingInFlight(ctx, SendResult.sent("SM1"))
    counts = dispatch_due_surveys(ctx, channels={"sms": channel})
    assert counts["sent"] == 10 and len(channel.seen) == 10
    assert max(channel.seen) == 3  # the concurrency is used, and never exceeded


def test_the_free_places_are_shared_between_the_channels(make_ctx: Any) -> None:
    ctx = make_ctx(dispatch_concurrency=2)
    email = {"channel": "email", "customer_email": "a@example.se", "customer_phone": None}
    with ctx.session() as session:
        for _ in range(3):
            make_survey(ctx, session)
            make_survey(ctx, session, contact=email)
    order: list[str] = []
    sms, mail = SlowChannel("sms", SendResult.sent("SM1")), SlowChannel("email", SendResult.sent())
    for channel in (sms, mail):
        channel.sent = _Noting(order, channel.name)
    counts = dispatch_due_surveys(ctx, channels={"sms": sms, "email": mail})
    assert counts["sent"] == 6
    assert sorted(order[:2]) == ["email", "sms"]  # the first slice: one of each


class _Noting(list[Message]):
    """A list of sent messages that also notes each one's channel in a shared order."""

    def __init__(self, order: list[str], name: str) -> None:
        super().__init__()
        self.order, self.name = order, name

    def append(self, message: Message) -> None:
        self.order.append(self.name)
        super().append(message)


def test_concurrent_dispatchers_send_each_survey_once(make_ctx: Any) -> None:
    ctx = make_ctx(dispatch_concurrency=2)
    with ctx.session() as session:
        for _ in range(12):
            make_survey(ctx, session)
    channel = SlowChannel("sms", SendResult.sent("SM1"))
    others = [make_ctx(dispatch_concurrency=2) for _ in range(3)]
    threads = [
        threading.Thread(
            target=dispatch_due_surveys, args=(c,), kwargs={"channels": {"sms": channel}}
        )
        for c in others
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [m.survey_id for m in channel.sent]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 12


def test_a_do_not_survey_contact_after_the_draw_cancels_the_send(ctx: Context) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session)
        actor = session.get(Actor, survey.actor_id)
        assert actor is not None
        make_contact(
            session, actor, case_ref=survey.case_ref, do_not_survey=True,
            do_not_survey_reason="protected identity",
        )  # fmt: skip
    assert dispatch_due_surveys(ctx)["cancelled"] == 1
    done = _reload(ctx, survey.id)
    assert done.delivery_status == DeliveryStatus.cancelled
    assert done.last_error == "cancelled: a contact of the case is marked do_not_survey"
    with ctx.session() as session:
        assert session.exec(select(OutboxMessage)).all() == []
        entry = session.exec(select(AuditLog).where(AuditLog.action == "survey.cancelled")).one()
    assert (entry.who, entry.subject) == (f"actor:{actor.name}", survey.case_ref)
    assert entry.details["reason"] == "protected identity"


def test_when_outcomes_cannot_be_recorded_no_further_send_starts(make_ctx: Any) -> None:
    ctx = make_ctx(dispatch_concurrency=1)
    channel = SlowChannel("sms", SendResult.sent("SM1"))
    numbers = iter(range(1000))

    def claim(_session: Any, name: str, limit: int) -> Slice:
        made = [Message(next(numbers), "survey", name, "+46700000001", "hej", "l", "o")]
        return Slice(made * limit, limit)

    def broken_database(*_: Any) -> None:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="went away"):
        deliver(ctx, {"sms": channel}, claim, broken_database, run_seconds=60, batch_limit=100)
    assert len(channel.sent) == 1


class _BrokenChannel(ScriptedChannel):
    def send(self, message: Message) -> SendResult:
        raise UnicodeEncodeError("ascii", message.to, 0, 1, "an error no channel expected")


def test_an_unforeseen_error_is_unknown_and_says_so_by_its_category(ctx: Context) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session)
    dispatch_due_surveys(ctx, channels={"sms": _BrokenChannel("sms")})
    done = _reload(ctx, survey.id)
    assert done.delivery_status == DeliveryStatus.unknown
    assert done.error_category == "unexpected"
    assert done.last_error == "unexpected error: UnicodeEncodeError"
