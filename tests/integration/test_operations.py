"""What an operator polls and scrapes: /healthz, /healthz/scheduler and /metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from survey import create_app
from survey.config import ConfigError
from survey.context import Context
from survey.delivery.dispatch import dispatch_due_surveys
from survey.monitoring.jobs import timed_run
from survey.store.leases import SLOT_LEASE
from tests.factories import make_survey
from tests.plugins.delivery import DELIVERY_SETTINGS

TOKEN = "m" * 43


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, **DELIVERY_SETTINGS}


def _samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def test_healthz_says_when_the_schema_is_not_at_the_migration_head(
    ctx: Context, client: Any
) -> None:
    with ctx.engine.begin() as connection:
        (head,) = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json()["migrations"] == "not at head"
    finally:
        with ctx.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert client.get("/healthz").status_code == 200


def test_the_scheduler_heartbeat_is_ok_while_its_slot_is_renewed_and_503_after(
    ctx: Context, client: Any
) -> None:
    response = client.get("/healthz/scheduler")
    assert response.status_code == 503
    assert response.get_json()["heartbeat_age_seconds"] is None

    slot = ctx.store.scheduler_slot(ctx.now)
    assert slot.take()
    response = client.get("/healthz/scheduler")
    assert response.status_code == 200, response.get_json()
    assert 0 <= response.get_json()["heartbeat_age_seconds"] < 5

    beat = datetime.now(UTC)
    ctx.now = lambda: beat + SLOT_LEASE + timedelta(seconds=5)  # no renewal since
    response = client.get("/healthz/scheduler")
    assert response.status_code == 503
    assert response.get_json()["heartbeat_age_seconds"] > SLOT_LEASE.total_seconds()

    ctx.now = lambda: datetime.now(UTC)
    slot.release()
    assert client.get("/healthz/scheduler").status_code == 503


def test_metrics_are_read_from_the_database_when_scraped(ctx: Context, client: Any) -> None:
    with ctx.session() as session:
        make_survey(ctx, session)
        make_survey(ctx, session, send_at=datetime.now(UTC) - timedelta(minutes=10))
        make_survey(
            ctx,
            session,
            contact={"channel": "email", "customer_email": "a@example.se", "customer_phone": None},
            send_at=datetime.now(UTC) + timedelta(hours=1),
        )
    before = _samples(client.get("/metrics").get_data(as_text=True))
    assert before[("survey_contacts_ingested_total", ())] == 3
    assert before[("survey_oldest_due_survey_age_seconds", ())] >= 600
    assert before[("survey_surveys", (("delivery_status", "scheduled"),
                                      ("response_status", "pending")))] == 3  # fmt: skip

    timed_run(ctx, "dispatch", dispatch_due_surveys)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    after = _samples(response.get_data(as_text=True))
    assert after[("survey_sends", (("channel", "sms"), ("outcome", "sent")))] == 2
    assert after[("survey_oldest_due_survey_age_seconds", ())] == 0
    assert after[("survey_job_runs_total", (("job", "dispatch"),))] == 1
    assert after[("survey_job_last_run_succeeded", (("job", "dispatch"),))] == 1
    assert after[("survey_job_last_duration_seconds", (("job", "dispatch"),))] > 0
    assert ("survey_scheduler_heartbeat_age_seconds", ()) in after


def test_with_a_token_metrics_need_it_as_bearer(make_ctx: Any, settings_overrides: Any) -> None:
    make_ctx()
    app = create_app({**settings_overrides, "metrics_token": TOKEN})
    client = app.test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and "Bearer" in refused.headers["WWW-Authenticate"]
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and b"survey_contacts_ingested_total" in response.data
    app.extensions["survey"].store.dispose()


PRODUCTION = {
    "env": "production",
    "secret_key": "a" * 43,
    "sampling_secret": "b" * 43,
    "identifier_key": "c" * 43,
    "sms_backend": "twilio",
    "email_backend": "smtp",
    "twilio_account_sid": "AC" + "0" * 32,
    "twilio_auth_token": "token",
    "twilio_from_number": "+46700000001",
    "smtp_url": "smtp://mail.example.se:587",
    "controller_name": "Kundservice AB",
    "controller_contact": "dataskydd@example.se",
}


def test_in_production_metrics_are_off_without_a_token(
    make_ctx: Any, settings_overrides: Any
) -> None:
    # The database records the sampling secret in force: the production one.
    make_ctx(sampling_secret=PRODUCTION["sampling_secret"])
    app = create_app({**settings_overrides, **PRODUCTION})
    assert app.test_client().get("/metrics").status_code == 404
    app.extensions["survey"].store.dispose()
    app = create_app({**settings_overrides, **PRODUCTION, "metrics_token": TOKEN})
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    app.extensions["survey"].store.dispose()


@pytest.mark.parametrize("token", ["short", "a" * 43])
def test_production_refuses_to_start_with_a_weak_metrics_token(
    settings_overrides: Any, token: str
) -> None:
    with pytest.raises(ConfigError, match="SURVEY_METRICS_TOKEN"):
        create_app({**settings_overrides, **PRODUCTION, "metrics_token": token})
