"""The whole flow under `survey web` (gunicorn) with access logging on, and the jobs run as
commands: no log line holds a phone number, e-mail address, customer ref, comment or token."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from survey.context import Context
from survey.models import OutboxMessage
from tests.factories import bearer, contact_payload, make_api_key, make_organisation_key

PHONE, EMAIL = "+46701234567", "anna.svensson@example.se"
REFS = ("KUND-4711", "KUND-0815")
COMMENT = "Handläggaren Bertil löste allt på en gång"
# Every form in which the customer's identifiers could reach a log line.
IDENTIFIERS = (
    "701234567",  # the phone number's digits, whatever the prefix
    "70-123",
    "anna.svensson",
    "example.se",
    *REFS,
    "Bertil",
)
STARTUP_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], port: int) -> dict[str, Any]:
    """Survey every case at once (no delay, no quiet hours); links point at the server."""
    return {
        **settings_overrides,
        "base_url": f"http://127.0.0.1:{port}",
        "sampling_rate": "1",
        "send_delay_minutes": 0,
        "quiet_hours": "",
        "min_group_size": 1,
    }


class Logs:
    """Where every process of the flow writes: stdout, stderr and the two log files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.access = folder / "access.log"
        self.error = folder / "error.log"

    def text(self) -> str:
        return "\n".join(path.read_text(encoding="utf-8") for path in sorted(self.folder.iterdir()))


@pytest.fixture
def logs(tmp_path: Path) -> Logs:
    folder = tmp_path / "logs"
    folder.mkdir()
    return Logs(folder)


@pytest.fixture
def server(cli_env: dict[str, str], port: int, logs: Logs) -> Iterator[str]:
    """`survey web` on a free port, its output and logs in files."""
    command = [sys.executable, "-m", "survey", "web", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--access-log", str(logs.access), "--error-log", str(logs.error)]
    with (
        (logs.folder / "web.stdout").open("w") as out,
        (logs.folder / "web.stderr").open("w") as err,
    ):
        process = subprocess.Popen(command, env={**os.environ, **cli_env}, stdout=out, stderr=err)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(url, process)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "survey web exited"
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    pytest.fail("survey web did not answer in time")


def run_job(name: str, cli_env: dict[str, str], logs: Logs) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "survey", "jobs", "run-once", name],
        env={**os.environ, **cli_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    (logs.folder / f"job-{name}.out").write_text(done.stdout + done.stderr, encoding="utf-8")
    assert done.returncode == 0, done.stderr


def survey_tokens(ctx: Context) -> dict[str, str]:
    """The token of each message's link, by channel."""
    with ctx.session() as session:
        messages = session.scalars(select(OutboxMessage)).all()
    return {m.channel: str(m.link).rsplit("/", 1)[1] for m in messages}


def csrf(page: requests.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


@pytest.mark.slow
def test_no_log_line_holds_personal_data_or_a_token(
    ctx: Context, cli_env: dict[str, str], server: str, logs: Logs
) -> None:
    actor = bearer(make_api_key(ctx, "north"))
    organisation = bearer(make_organisation_key(ctx, "dpo-office", "privacy", "reports"))
    closed = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    contacts = [
        contact_payload(closed_at=closed, customer={"phone": PHONE, "ref": REFS[0]}),
        contact_payload(
            closed_at=closed, channel="email", customer={"email": EMAIL, "ref": REFS[1]}
        ),
    ]
    ingest = requests.post(f"{server}/api/v1/contacts", json={"contacts": contacts}, headers=actor)
    assert ingest.json() == {"accepted": 2, "duplicates": 0}

    run_job("sample", cli_env, logs)
    run_job("dispatch", cli_env, logs)
    tokens = survey_tokens(ctx)
    assert set(tokens) == {"sms", "email"}

    page = requests.get(f"{server}/s/{tokens['sms']}")
    assert page.status_code == 200
    comment = f"{COMMENT}, ring {PHONE} eller mejla {EMAIL}"
    form = {"overall": "5", "comment": comment, "csrf_token": csrf(page)}
    answered = requests.post(f"{server}/s/{tokens['sms']}", data=form)
    assert answered.status_code == 200 and answered.url.endswith("/thanks")
    assert requests.get(f"{server}/o/{tokens['email']}?lang=en").status_code == 200

    today = datetime.now(UTC).date()
    period = f"from={today - timedelta(days=1)}&to={today + timedelta(days=2)}"
    report = requests.get(f"{server}/api/v1/reports/satisfaction?{period}", headers=organisation)
    assert report.json()["total"]["responses"] == 1
    exported = requests.post(
        f"{server}/api/v1/customers/export", json={"phone": PHONE}, headers=organisation
    )
    assert exported.json()["responses"][0]["comment"].startswith(COMMENT)
    in_url = requests.get(
        f"{server}/api/v1/customers/export",
        params={"email": EMAIL, "phone": PHONE},
        headers=organisation,
    )
    assert in_url.status_code == 405
    erased = requests.post(
        f"{server}/api/v1/customers/erase", json={"ref": REFS[1]}, headers=organisation
    )
    assert erased.status_code == 200
    run_job("all", cli_env, logs)
    server_logs_written(logs)

    text = logs.text()
    # Logging was on, and the lines name the routes with what identifies a person left out.
    assert re.search(r'"GET /s/\[redacted\] HTTP/1.1" 200', text)
    assert '"POST /s/[redacted] HTTP/1.1" 303' in text
    assert '"GET /o/[redacted]?lang=en HTTP/1.1" 200' in text
    assert '"GET /api/v1/customers/export?[redacted] HTTP/1.1" 405' in text
    assert '"POST /api/v1/customers/erase HTTP/1.1" 200' in text
    for secret in (*IDENTIFIERS, *tokens.values()):
        assert secret not in text, secret


def server_logs_written(logs: Logs) -> None:
    """Wait until the access log holds the last request (gunicorn writes it after answering)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if "customers/erase" in logs.access.read_text(encoding="utf-8"):
            return
        time.sleep(0.1)
