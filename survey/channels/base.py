"""The channel interface: send one rendered message, say what is known about the outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypedDict, Unpack

from survey.models.enums import ErrorCategory, ErrorPhase


class Outcome(StrEnum):
    sent = "sent"  # accepted by the provider (or stored by the outbox)
    retry = "retry"  # proven not sent (refused connection, 429, 5xx, SMTP 4xx before DATA)
    permanent = "permanent"  # refused for good (invalid number, opted out at carrier, SMTP 5xx)
    unknown = "unknown"  # the request may have gone out: never retried


class Why(TypedDict, total=False):
    """A failure's code, category and phase (see SendResult)."""

    code: int | None
    category: ErrorCategory | None
    phase: ErrorPhase | None


@dataclass(frozen=True)
class SendResult:
    """What is known about one send. `error` is for people and may quote the provider (and so
    the recipient): what is stored of it goes through survey.delivery.errors, which removes
    addresses; `code`, `category` and `phase` are what the records keep to count and act on."""

    outcome: Outcome
    provider_id: str | None = None
    error: str | None = None
    opted_out: bool = False  # the provider says the recipient has opted out (Twilio 21610)
    code: int | None = None  # Twilio's error code or the SMTP reply code
    category: ErrorCategory | None = None
    phase: ErrorPhase | None = None  # the SMTP step

    @classmethod
    def sent(cls, provider_id: str | None = None) -> SendResult:
        return cls(Outcome.sent, provider_id=provider_id)

    @classmethod
    def retry(cls, error: str, **why: Unpack[Why]) -> SendResult:
        return cls(Outcome.retry, error=error, **why)

    @classmethod
    def permanent(cls, error: str, opted_out: bool = False, **why: Unpack[Why]) -> SendResult:
        return cls(Outcome.permanent, error=error, opted_out=opted_out, **why)

    @classmethod
    def unknown(cls, error: str, **why: Unpack[Why]) -> SendResult:
        return cls(Outcome.unknown, error=error, **why)


@dataclass(frozen=True)
class Message:
    """One rendered message to one address."""

    survey_id: int
    kind: str  # "survey" or "reminder"
    channel: str  # "sms" or "email"
    to: str
    body: str
    link: str
    opt_out_link: str
    subject: str | None = None
    html_body: str | None = None


class Channel(Protocol):
    """Sends a message; must be safe to call from several threads at once."""

    name: str

    def send(self, message: Message) -> SendResult: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ProviderMessage:
    """A message as the provider holds it, found when asking it afterwards."""

    sid: str
    body: str
    status: str  # the provider's own word: queued, sent, delivered, undelivered, failed ...
    error_code: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class MessageLookup(Protocol):
    """Asks the provider which messages it holds to a recipient (SMS reconciliation)."""

    def messages_to(self, to: str) -> list[ProviderMessage]: ...
