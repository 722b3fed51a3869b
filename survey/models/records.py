"""Append-only and bookkeeping records: opt-outs, outbox messages, policy versions, sampling
keys, the audit log, report snapshots, job leases and job runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from survey.models.columns import created_field, timestamp_field
from survey.store.types import BigId, key_string


class OptOut(SQLModel, table=True):
    """Append-only log per identifier hash; the latest entry per identifier wins."""

    __tablename__ = "opt_out"
    __table_args__ = (Index("ix_opt_out_identifier_hash_id", "identifier_hash", "id"),)

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    identifier_hash: str = Field(max_length=64, sa_type=key_string(64))
    kind: str = Field(max_length=8)
    opted_out: bool = True
    source: str = Field(max_length=200)
    agent: str | None = Field(default=None, max_length=100)
    # An inbound SMS's MessageSid: each applies once, however often it is delivered.
    message_sid: str | None = Field(default=None, max_length=64, unique=True)
    actor_id: int | None = Field(default=None, foreign_key="actor.id")
    survey_id: int | None = Field(default=None, sa_type=BigId, foreign_key="survey.id")
    created_at: datetime = created_field()


class SmsReply(SQLModel, table=True):
    """An inbound SMS taken as a reply to a survey (SURVEY_SMS_MODE=reply) and what was done:
    each MessageSid applies once, and a survey gets at most one help reply."""

    __tablename__ = "sms_reply"

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    message_sid: str | None = Field(default=None, max_length=64, unique=True)
    survey_id: int | None = Field(default=None, sa_type=BigId, foreign_key="survey.id", index=True)
    outcome: str = Field(max_length=16)
    # "help:<survey id>" and the like for a reply sent at most once per survey, else null.
    once: str | None = Field(default=None, max_length=40, unique=True)
    created_at: datetime = created_field()


class ErasureRecord(SQLModel, table=True):
    """The erasure ledger: the keyed hash of each identifier ever erased, so that every erasure
    can be repeated after a database restore (`survey customers reapply-erasures`)."""

    __tablename__ = "erasure_record"

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    identifier_hash: str = Field(max_length=64, sa_type=key_string(64), unique=True)
    kind: str = Field(max_length=8)
    erased_at: datetime = timestamp_field()


class OutboxMessage(SQLModel, table=True):
    """A rendered message kept by the outbox backend instead of being sent."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    survey_id: int | None = Field(default=None, sa_type=BigId, foreign_key="survey.id")
    kind: str = Field(default="survey", max_length=16)
    channel: str = Field(max_length=8)
    to_address: str = Field(max_length=254)
    subject: str | None = Field(default=None, max_length=200)
    body: str = Field(sa_type=Text)
    html_body: str | None = Field(default=None, sa_type=Text)
    link: str | None = Field(default=None, max_length=500)
    # A mail's attachment (a scheduled report's workbook), kept as it would have been sent.
    attachment_name: str | None = Field(default=None, max_length=200)
    attachment: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = created_field()


class PolicyVersion(SQLModel, table=True):
    """The sampling policy from a moment on; a case follows the version in force at its closure."""

    __tablename__ = "policy_version"

    id: int | None = Field(default=None, primary_key=True)
    effective_from: datetime = timestamp_field(index=True)
    values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    changed_by: str = Field(max_length=254)
    reason: str | None = Field(default=None, max_length=500)


class SamplingKey(SQLModel, table=True):
    """A sampling secret's fingerprint (SHA-256), in force from a moment on.

    The first is recorded with the initial policy; `survey audit rotate-secret` adds the next.
    The secret itself is never stored: it stays in the environment.
    """

    __tablename__ = "sampling_key"

    id: int | None = Field(default=None, primary_key=True)
    effective_from: datetime = timestamp_field(index=True)
    fingerprint: str = Field(max_length=64)
    recorded_by: str = Field(max_length=254)
    reason: str | None = Field(default=None, max_length=500)


class AuditLog(SQLModel, table=True):
    """Who did what, when: policy changes, keys, users, erasures, job outcomes.

    A hash chain: each entry's chain_hash is SHA-256 of the previous entry's chain_hash and its
    own payload_hash, so that an entry changed, removed or inserted afterwards shows; a payload
    can be redacted (redacted_at) without breaking the chain.
    """

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    at: datetime = created_field()
    who: str = Field(max_length=254)
    action: str = Field(max_length=64, index=True)
    subject: str | None = Field(default=None, max_length=200)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    payload_hash: str = Field(max_length=64)
    chain_hash: str = Field(max_length=64, unique=True)
    redacted_at: datetime | None = timestamp_field(nullable=True)


class ReportSnapshot(SQLModel, table=True):
    """A stored monthly report, provisional on the month's first day, final when settled."""

    __tablename__ = "report_snapshot"
    __table_args__ = (UniqueConstraint("month", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)
    kind: str = Field(max_length=16)
    created_at: datetime = created_field()
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class JobLock(SQLModel, table=True):
    """A lease that makes a job a singleton where the database has no advisory locks (SQLite)."""

    __tablename__ = "job_lock"

    name: str = Field(max_length=64, primary_key=True)
    holder: str = Field(max_length=100)
    expires_at: datetime = timestamp_field()


class JobRun(SQLModel, table=True):
    """The last run of each scheduled job, by whichever scheduler ran it (for /metrics)."""

    __tablename__ = "job_run"

    name: str = Field(max_length=64, primary_key=True)
    started_at: datetime = timestamp_field()
    seconds: float
    succeeded: bool
    runs: int = 0
    failures: int = 0
