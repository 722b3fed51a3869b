"""The channel interface: send one rendered message, say what is known about the outcome."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from survey.context import Context


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


def build_channels(ctx: Context) -> dict[str, Channel]:
    """The configured channel for "sms" and "email"."""
    settings = ctx.settings
    channels: dict[str, Channel] = {}
    if settings.sms_backend == "twilio":
        from survey.channels.twilio import TwilioChannel

        channels["sms"] = TwilioChannel.from_settings(settings)
    else:
        from survey.channels.outbox import OutboxChannel

        channels["sms"] = OutboxChannel(ctx.engine, "sms", now=ctx.now)
    if settings.email_backend == "smtp":
        from survey.channels.smtp import SmtpChannel

        channels["email"] = SmtpChannel.from_settings(settings)
    else:
        from survey.channels.outbox import OutboxChannel

        channels["email"] = OutboxChannel(ctx.engine, "email", now=ctx.now)
    return channels


@contextmanager
def channels_for(ctx: Context, given: dict[str, Channel] | None) -> Iterator[dict[str, Channel]]:
    """The channels a caller gave, or the configured ones, built for the block and closed after."""
    if given is not None:
        yield given
        return
    built = build_channels(ctx)
    try:
        yield built
    finally:
        for channel in built.values():
            channel.close()
