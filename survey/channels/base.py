"""The channel interface: send one rendered message, say what is known about the outcome."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Outcome(StrEnum):
    sent = "sent"  # accepted by the provider (or stored by the outbox)
    retry = "retry"  # proven not sent (refused connection, 429, 5xx, SMTP 4xx before DATA)
    permanent = "permanent"  # refused for good (invalid number, opted out at carrier, SMTP 5xx)
    unknown = "unknown"  # the request may have gone out: never retried


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    provider_id: str | None = None
    error: str | None = None
    opted_out: bool = False  # the provider says the recipient has opted out (Twilio 21610)

    @classmethod
    def sent(cls, provider_id: str | None = None) -> SendResult:
        return cls(Outcome.sent, provider_id=provider_id)

    @classmethod
    def retry(cls, error: str) -> SendResult:
        return cls(Outcome.retry, error=error)

    @classmethod
    def permanent(cls, error: str, opted_out: bool = False) -> SendResult:
        return cls(Outcome.permanent, error=error, opted_out=opted_out)

    @classmethod
    def unknown(cls, error: str) -> SendResult:
        return cls(Outcome.unknown, error=error)


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
