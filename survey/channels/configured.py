"""The channels the settings choose: Twilio or the outbox for SMS, SMTP or the outbox for e-mail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from survey.channels.base import Channel
from survey.context import Context


def build_channels(ctx: Context) -> dict[str, Channel]:
    """The configured channel for "sms" and "email"."""
    settings = ctx.settings
    channels: dict[str, Channel] = {}
    if settings.sms_backend == "twilio":
        from survey.channels.twilio import TwilioChannel

        channels["sms"] = TwilioChannel.from_settings(settings)
    else:
        from survey.channels.outbox import OutboxChannel

        channels["sms"] = OutboxChannel(ctx.store, "sms", now=ctx.now)
    if settings.email_backend == "smtp":
        from survey.channels.smtp import SmtpChannel

        channels["email"] = SmtpChannel.from_settings(settings)
    else:
        from survey.channels.outbox import OutboxChannel

        channels["email"] = OutboxChannel(ctx.store, "email", now=ctx.now)
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
