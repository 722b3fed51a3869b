"""The soak's providers: the fake Twilio with latency and a share of faults, and an SMTP server
that goes away for a while. Both keep what they received, with the time, for the checks."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from survey.tokens import read_token
from tests.plugins.delivery import FakeTwilio, free_port

SURVEY_LINK = re.compile(r"/s/([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Faults:
    """How the fake Twilio misbehaves: request n gets the fault at n modulo the cycle (429 or
    500 refused, "drop": the connection closes before the message is taken, "lost": taken, then
    closed without an answer), so that each has its share in any run of a cycle or more; every
    accepted message waits `latency` seconds for its answer."""

    cycle: tuple[str | None, ...] = (
        (None,) * 3 + ("429",) + (None,) * 5 + ("500",) + (None,) * 5 + ("drop",)
        + (None,) * 5 + ("lost",) + (None,) * 3
    )  # fmt: skip
    latency: float = 0.05

    def pick(self, request: int) -> str | None:
        return self.cycle[request % len(self.cycle)]


@dataclass
class Mail:
    received_at: float
    recipients: list[str]
    survey_id: int | None


@dataclass
class RecordingMail:
    """An aiosmtpd handler keeping each message's recipients and survey (from its link)."""

    secret_key: str
    received: list[Mail] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        body = parsed.get_body(("plain",)) if isinstance(parsed, EmailMessage) else None
        match = SURVEY_LINK.search(body.get_content() if body is not None else "")
        survey_id = read_token(self.secret_key, match.group(1)) if match else None
        self.received.append(Mail(time.time(), list(envelope.rcpt_tos), survey_id))
        return "250 OK"


class Providers:
    """The fake Twilio and the SMTP server, started in this process (threads)."""

    def __init__(self, secret_key: str, faults: Faults) -> None:
        self.twilio = FakeTwilio()
        self.twilio.delay = faults.latency
        lock = threading.Lock()
        self.faults: Counter[str] = Counter()  # Twilio requests answered with each fault

        def fault(form: dict[str, str]) -> str | None:
            with lock:
                picked = faults.pick(self.faults.total())
                self.faults[picked or "none"] += 1
                return picked

        self.twilio.fault = fault
        self._twilio_thread = threading.Thread(target=self.twilio.serve_forever, daemon=True)
        self._twilio_thread.start()
        self.mail = RecordingMail(secret_key)
        self.smtp_port = free_port()
        self._smtp: Controller | None = None
        self.smtp_up()
        self.outages: list[tuple[float, float]] = []

    def smtp_up(self) -> None:
        self._smtp = Controller(self.mail, hostname="127.0.0.1", port=self.smtp_port)
        self._smtp.start()

    def smtp_down(self) -> None:
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None

    def smtp_outage(self, seconds: float, stop: threading.Event) -> None:
        """Take the SMTP server away for `seconds` (sooner back if `stop` is set)."""
        began = time.time()
        self.smtp_down()
        stop.wait(seconds)
        self.smtp_up()
        self.outages.append((began, time.time()))

    def sms_by_survey(self) -> dict[int, list[dict[str, Any]]]:
        """The messages Twilio took, by survey id (from the status callback URL)."""
        found: dict[int, list[dict[str, Any]]] = {}
        with self.twilio.lock:
            for message in self.twilio.messages:
                found.setdefault(int(message["survey_id"]), []).append(message)
        return found

    def mail_by_survey(self) -> dict[int, list[Mail]]:
        found: dict[int, list[Mail]] = {}
        for mail in list(self.mail.received):
            found.setdefault(mail.survey_id or 0, []).append(mail)
        return found

    def duplicates(self) -> dict[str, int]:
        """Messages a recipient or a survey got more than once, by provider."""
        with self.twilio.lock:
            sms_to = Counter(m["to"] for m in self.twilio.messages)
        mail_to = Counter(r for m in self.mail.received for r in m.recipients)
        return {
            "sms_same_survey": sum(len(m) > 1 for m in self.sms_by_survey().values()),
            "sms_same_recipient": sum(n > 1 for n in sms_to.values()),
            "email_same_survey": sum(len(m) > 1 for m in self.mail_by_survey().values()),
            "email_same_recipient": sum(n > 1 for n in mail_to.values()),
        }

    def close(self) -> None:
        self.smtp_down()
        self.twilio.shutdown()
        self.twilio.server_close()
