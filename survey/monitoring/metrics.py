"""Prometheus metrics, read from the database at scrape time.

Web workers and schedulers are separate processes: a counter kept in one would count only its
own part. Everything here is therefore a query of the shared database, made when /metrics is
scraped (a handful of aggregate statements over indexed columns).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlmodel import Session, col, func, select

from survey.context import Context
from survey.models import (
    Case,
    Contact,
    DeliveryStatus,
    JobRun,
    SamplingDecision,
    Survey,
)
from survey.monitoring.health import scheduler_heartbeat

OUTCOMES = (
    DeliveryStatus.sent,
    DeliveryStatus.delivered,
    DeliveryStatus.failed,
    DeliveryStatus.unknown,
    DeliveryStatus.cancelled,
)


class DatabaseCollector(Collector):
    """Every metric of the engine, computed from the database when collected."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        now = self.ctx.now()
        with self.ctx.session() as session:
            yield from _intake(session)
            yield from _surveys(session)
            yield from _jobs(session)
            yield from _lag(session, now)
        heartbeat = scheduler_heartbeat(self.ctx)
        age = GaugeMetricFamily(
            "survey_scheduler_heartbeat_age_seconds",
            "Seconds since a scheduler last renewed its slot (NaN: none known).",
        )
        age.add_metric([], float("nan") if heartbeat.age_seconds is None else heartbeat.age_seconds)
        yield age


def registry_for(ctx: Context) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(ctx))
    return registry


def _intake(session: Session) -> Iterator[Metric]:
    contacts = CounterMetricFamily("survey_contacts_ingested", "Contacts stored.")
    contacts.add_metric([], _scalar(session, select(func.count(col(Contact.id)))))
    yield contacts
    decisions = CounterMetricFamily(
        "survey_sampling_decisions", "Sampling decisions by reason.", labels=["reason"]
    )
    rows = session.exec(
        select(col(SamplingDecision.reason), func.count()).group_by(col(SamplingDecision.reason))
    )
    for reason, count in rows:
        decisions.add_metric([reason], count)
    yield decisions


def _surveys(session: Session) -> Iterator[Metric]:
    states = GaugeMetricFamily(
        "survey_surveys",
        "Surveys by delivery and response state.",
        labels=["delivery_status", "response_status"],
    )
    for delivery, response, count in session.exec(
        select(col(Survey.delivery_status), col(Survey.response_status), func.count()).group_by(
            col(Survey.delivery_status), col(Survey.response_status)
        )
    ):
        states.add_metric([delivery, response], count)
    yield states
    sends = GaugeMetricFamily(
        "survey_sends",
        "Surveys by channel and the outcome of their send as last known.",
        labels=["channel", "outcome"],
    )
    for channel, outcome, count in session.exec(
        select(col(Survey.send_channel), col(Survey.delivery_status), func.count())
        .where(col(Survey.delivery_status).in_(OUTCOMES))
        .group_by(col(Survey.send_channel), col(Survey.delivery_status))
    ):
        sends.add_metric([channel, outcome], count)
    yield sends
    reminders = CounterMetricFamily(
        "survey_reminders_sent", "Reminders handed to a provider.", labels=["channel"]
    )
    for channel, count in session.exec(
        select(col(Survey.send_channel), func.count())
        .where(col(Survey.reminder_sent_at).is_not(None))
        .group_by(col(Survey.send_channel))
    ):
        reminders.add_metric([channel], count)
    yield reminders


def _jobs(session: Session) -> Iterator[Metric]:
    seconds = GaugeMetricFamily(
        "survey_job_last_duration_seconds", "How long each job's last run took.", labels=["job"]
    )
    started = GaugeMetricFamily(
        "survey_job_last_run_timestamp_seconds", "When each job last started.", labels=["job"]
    )
    succeeded = GaugeMetricFamily(
        "survey_job_last_run_succeeded", "1 if the job's last run succeeded.", labels=["job"]
    )
    runs = CounterMetricFamily("survey_job_runs", "Runs of each job.", labels=["job"])
    failures = CounterMetricFamily("survey_job_failures", "Failed runs.", labels=["job"])
    for run in session.exec(select(JobRun)):
        seconds.add_metric([run.name], run.seconds)
        started.add_metric([run.name], run.started_at.timestamp())
        succeeded.add_metric([run.name], 1.0 if run.succeeded else 0.0)
        runs.add_metric([run.name], run.runs)
        failures.add_metric([run.name], run.failures)
    yield from (seconds, started, succeeded, runs, failures)


def _lag(session: Session, now: datetime) -> Iterator[Metric]:
    undecided = session.scalar(
        select(func.min(col(Case.last_closed_at))).where(col(Case.decided_at).is_(None))
    )
    due = session.scalar(
        select(func.min(col(Survey.send_at)))
        .where(col(Survey.delivery_status) == DeliveryStatus.scheduled)
        .where(col(Survey.send_at) <= now)
    )
    for name, doc, oldest in (
        (
            "survey_oldest_undecided_case_age_seconds",
            "Age of the oldest closed case not yet drawn (0: none waiting).",
            undecided,
        ),
        (
            "survey_oldest_due_survey_age_seconds",
            "How long the oldest due survey has waited to be sent (0: none due).",
            due,
        ),
    ):
        gauge = GaugeMetricFamily(name, doc)
        gauge.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        yield gauge


def _scalar(session: Session, query: Any) -> int:
    return int(session.scalar(query) or 0)
