"""Fixtures for delivery tests: a fake Twilio Messages API and real SMTP servers (aiosmtpd).

Everything listens on 127.0.0.1 on a free port; nothing leaves the machine.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "test-twilio-auth-token"
# Settings under which a delivery test sends at once: no quiet hours, no pacing to speak of,
# and the reminder and expiry periods the tests count from.
DELIVERY_SETTINGS: dict[str, Any] = {
    "quiet_hours": "",
    "sms_rate_per_second": 1000.0,
    "email_rate_per_second": 1000.0,
    "reminder_after_hours": 48,
    "expiry_days": 7,
}

# Numbers the fake Twilio answers in a given way (anything else is accepted); `{to}` is the
# number, quoted as Twilio quotes it.
TWILIO_ERRORS: dict[str, tuple[int, int, str]] = {
    "+46700000429": (429, 20429, "Too Many Requests"),
    "+46700000500": (500, 20500, "Internal Server Error"),
    "+46700021211": (400, 21211, "The 'To' number {to} is not a valid phone number."),
    "+46700021610": (400, 21610, "Attempt to send to unsubscribed recipient {to}"),
}


class FakeTwilio(ThreadingHTTPServer):
    """Answers POST /2010-04-01/Accounts/<sid>/Messages.json as Twilio does, and GET of the
    same (the Messages list, filtered by To). Every accepted message is kept in `messages`,
    with the status a test may change, as Twilio keeps it whether or not its answer arrived."""

    daemon_threads = True
    request_queue_size = 128  # many senders connect at once

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _TwilioHandler)
        self.requests: list[dict[str, str]] = []
        self.messages: list[dict[str, Any]] = []  # oldest first
        self.list_requests: list[dict[str, str]] = []
        self.errors = dict(TWILIO_ERRORS)
        self.delay = 0.0  # seconds before answering (a slow provider)
        # Given the form, a fault instead of the normal answer: "429" or "500" (refused),
        # "drop" (the connection closes before the message is taken), "lost" (the message is
        # taken, then the connection closes without an answer).
        self.fault: Callable[[dict[str, str]], str | None] = lambda form: None
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up (a killed dispatcher) is no error of the fake

    def message_for(self, survey_id: int) -> dict[str, Any]:
        """The message Twilio keeps for a survey (by its status callback URL)."""
        with self.lock:
            (found,) = [m for m in self.messages if m["survey_id"] == str(survey_id)]
            return found

    def per_survey(self) -> Counter[str]:
        """How many requests arrived for each survey id (from the status callback URL)."""
        with self.lock:
            return Counter(
                parse_qs(urlsplit(r.get("StatusCallback", "")).query).get("survey_id", ["?"])[0]
                for r in self.requests
            )


class _TwilioHandler(BaseHTTPRequestHandler):
    server: FakeTwilio
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API
    disable_nagle_algorithm = True  # headers and body go out as two writes

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _ours(self) -> bool:
        path = urlsplit(self.path).path
        return path.endswith("/Messages.json") and TWILIO_SID in path

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        if len(body) < length:
            # The client went away mid-request (a killed dispatcher): Twilio takes no message
            # from a body it never got whole, and neither does the fake.
            self.close_connection = True
            return
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        with self.server.lock:
            self.server.requests.append(form)
        error = self.server.errors.get(form.get("To", ""))
        if not self._ours():
            self._answer(404, {"code": 20404, "message": "not found", "status": 404})
            return
        fault = self.server.fault(form)
        if fault in FAULT_ERRORS:
            error = FAULT_ERRORS[fault]
        if error:
            status, code, message = error
            text = message.format(to=form.get("To", ""))
            self._answer(status, {"code": code, "message": text, "status": status})
            return
        if fault == "drop":
            self.close_connection = True
            return
        message = _new_message(form)
        with self.server.lock:
            self.server.messages.append(message)  # held before the answer goes out
        if self.server.delay:
            time.sleep(self.server.delay)
        if fault == "lost":
            self.close_connection = True
            return
        self._answer(201, _public(message))

    def do_GET(self) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        with self.server.lock:
            self.server.list_requests.append(query)
            found = [
                _public(m)
                for m in reversed(self.server.messages)
                if m["to"] == query.get("To", m["to"])
            ]
        if not self._ours():
            self._answer(404, {"code": 20404, "message": "not found", "status": 404})
            return
        size = int(query.get("PageSize", 50))
        uri = urlsplit(self.path).path
        self._answer(
            200,
            {
                "messages": found[:size],
                "first_page_uri": uri,
                "next_page_uri": None,
                "previous_page_uri": None,
                "page": 0,
                "page_size": size,
                "start": 0,
                "end": min(size, len(found)),
                "uri": uri,
            },
        )

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


FAULT_ERRORS: dict[str, tuple[int, int, str]] = {
    "429": TWILIO_ERRORS["+46700000429"],
    "500": TWILIO_ERRORS["+46700000500"],
}
# What the fake keeps of a message beyond what Twilio shows.
_PRIVATE = ("survey_id", "received_at")


def _public(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k not in _PRIVATE}


def _new_message(form: dict[str, str]) -> dict[str, Any]:
    callback = parse_qs(urlsplit(form.get("StatusCallback", "")).query)
    now = formatdate(usegmt=True)
    return {
        "sid": "SM" + uuid.uuid4().hex,
        "account_sid": TWILIO_SID,
        "to": form.get("To"),
        "from": form.get("From"),
        "messaging_service_sid": form.get("MessagingServiceSid"),
        "body": form.get("Body", ""),
        "status": "accepted" if form.get("MessagingServiceSid") else "queued",
        "error_code": None,
        "error_message": None,
        "direction": "outbound-api",
        "date_created": now,
        "date_updated": now,
        "date_sent": None,
        "survey_id": callback.get("survey_id", ["?"])[0],
        "received_at": time.time(),
    }


def twilio_settings(fake: FakeTwilio, **extra: Any) -> dict[str, Any]:
    """Settings that send SMS through the real twilio client to the fake, at once: no quiet
    hours, no rate limit, a phone-number sender (override with `extra`)."""
    return {
        "quiet_hours": "",
        "sms_rate_per_second": 1000.0,
        "sms_backend": "twilio",
        "twilio_account_sid": TWILIO_SID,
        "twilio_auth_token": TWILIO_TOKEN,
        "twilio_from_number": "+46700000001",
        "twilio_base_url": fake.url,
        **extra,
    }


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    server = FakeTwilio()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@dataclass
class Received:
    envelope_from: str
    recipients: list[str]
    message: EmailMessage
    mail_options: list[str] = field(default_factory=list)
    content: bytes = b""


@dataclass
class MailHandler:
    """Keeps what arrives; addresses starting with these words get an error instead, quoting
    the address as real servers do."""

    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        local = address.split("@")[0]
        if local == "tempfail":
            return f"451 4.3.0 <{address}>: Try again later"
        if local == "reject":
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        local = envelope.rcpt_tos[0].split("@")[0]
        if local == "datafail":
            return f"451 4.3.0 Error after data for <{envelope.rcpt_tos[0]}>"
        if local == "datareject":
            return f"554 5.7.1 Message to {envelope.rcpt_tos[0]} refused"
        assert isinstance(envelope.content, bytes)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(
            Received(
                str(envelope.mail_from),
                list(envelope.rcpt_tos),
                parsed,
                list(envelope.mail_options),
                envelope.content,
            )
        )
        return "250 OK"


@dataclass
class SmtpServer:
    controller: Controller
    handler: MailHandler
    port: int
    cafile: Path | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_smtp(port: int | None = None, **smtp_kwargs: Any) -> SmtpServer:
    handler = MailHandler()
    port = port or free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp_kwargs)
    controller.start()
    return SmtpServer(controller, handler, port)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = start_smtp()
    yield server
    server.controller.stop()


def _self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def smtp_tls_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """Requires STARTTLS and AUTH (user `mailer`, password `s3cret`)."""
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"mailer",
            b"s3cret",
        )
        return AuthResult(success=ok, handled=False)

    server = start_smtp(
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    server.cafile = cert
    yield server
    server.controller.stop()


@pytest.fixture
def closed_port() -> int:
    """A port where nothing listens (an SMTP server that is down)."""
    return free_port()
