"""Delivery channels behind one small interface: outbox, Twilio (SMS) and SMTP (e-mail)."""

from __future__ import annotations

from survey.channels.base import Channel, Message, Outcome, SendResult

__all__ = ["Channel", "Message", "Outcome", "SendResult"]
