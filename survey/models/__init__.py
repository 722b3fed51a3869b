"""SQLModel tables and enums by concept; no commits, no I/O. Import them from here."""

from __future__ import annotations

from survey.models.accounts import Actor, ApiKey, User
from survey.models.contacts import Case, Contact
from survey.models.enums import (
    OPEN_RESPONSE_STATES,
    SENT_STATUSES,
    ApiScope,
    Channel,
    DecisionReason,
    DeliveryStatus,
    IdentifierKind,
    OptOutSource,
    ResponseStatus,
    Role,
    SendChannel,
)
from survey.models.records import (
    AuditLog,
    JobLock,
    OptOut,
    OutboxMessage,
    PolicyVersion,
    ReportSnapshot,
    SamplingKey,
)
from survey.models.surveys import (
    CASE_HANDLING_ITEMS,
    CONTACT_EXPERIENCE_ITEMS,
    FCR_CHOICES,
    RESOLUTION_CHOICES,
    SCALE_ITEMS,
    Response,
    SamplingDecision,
    Survey,
    SurveyIdentifier,
)

__all__ = [
    "CASE_HANDLING_ITEMS",
    "CONTACT_EXPERIENCE_ITEMS",
    "FCR_CHOICES",
    "OPEN_RESPONSE_STATES",
    "RESOLUTION_CHOICES",
    "SCALE_ITEMS",
    "SENT_STATUSES",
    "Actor",
    "ApiKey",
    "ApiScope",
    "AuditLog",
    "Case",
    "Channel",
    "Contact",
    "DecisionReason",
    "DeliveryStatus",
    "IdentifierKind",
    "JobLock",
    "OptOut",
    "OptOutSource",
    "OutboxMessage",
    "PolicyVersion",
    "ReportSnapshot",
    "Response",
    "ResponseStatus",
    "Role",
    "SamplingDecision",
    "SamplingKey",
    "SendChannel",
    "Survey",
    "SurveyIdentifier",
    "User",
]
