"""A demonstration for a newcomer: `make demo` (beside `make run`, on the same database).

It sets a demonstration policy (survey every case, no delay, no quiet hours; audited like any
policy change), imports a few contacts that close just after that change, runs the sampling
and dispatch jobs once, and prints the outbox: open a `link` in a browser to answer.
Never run this against a production database: it changes the sampling policy.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from survey.intake.csv_import import COLUMNS
from survey.local_server import use_local_base_url

SURVEY = str(Path(sys.executable).with_name("survey"))
CUSTOMERS = [
    ("phone", "+46701234501", "", "sv", "faktura"),
    ("email", "", "kund.demo@example.se", "sv", "support"),
    ("chat", "", "customer.demo@example.com", "en", "support"),
    ("sms", "+46701234504", "", "en-GB", "faktura"),
]


def survey(*args: str, check: bool = True) -> str:
    done = subprocess.run([SURVEY, *args], capture_output=True, text=True, check=False)  # noqa: S603
    if check and done.returncode != 0:
        raise SystemExit(done.stderr or done.stdout)
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    use_local_base_url(args.host, args.port)  # the links open `make run` on the same port
    reason = "demonstration (make demo)"
    survey("actors", "create", "demo", check=False)
    for key, value in (("rate", "1"), ("send_delay_minutes", "0"), ("quiet_hours", "")):
        survey("policy", "set", key, value, "--reason", reason)
    time.sleep(1)  # the contacts close after the policy change, so it applies to them
    run = datetime.now(UTC).strftime("%H%M%S")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            for n, (channel, phone, email, language, team) in enumerate(CUSTOMERS):
                closed = datetime.now(UTC) + timedelta(seconds=n)
                writer.writerow(
                    {
                        "external_id": f"demo-{run}-{n}",
                        "case_ref": f"DEMO-{run}-{n}",
                        "channel": channel,
                        "opened_at": (closed - timedelta(minutes=7)).isoformat(),
                        "closed_at": closed.isoformat(),
                        "agent": "demo-agent",
                        "team": team,
                        "case_type": "demo",
                        "complaint": "no",
                        "do_not_survey": "",
                        "customer_phone": phone,
                        "customer_email": email,
                        "customer_language": language,
                        "customer_ref": f"DEMO-{run}-{n}",
                    }
                )
        print(
            survey(
                "contacts", "import", str(path), "--actor", "demo", "--quiet", "--workers", "0"
            ).strip()
        )
    time.sleep(len(CUSTOMERS))  # let the last closure pass
    for job in ("sample", "dispatch"):
        print(survey("jobs", "run-once", job).strip())
    messages = json.loads(survey("outbox", "list", "--format", "json"))
    print(f"\n{len(messages)} message(s) in the outbox; open a link to answer:")
    for message in messages[-len(CUSTOMERS) :]:
        print(f"  {message['channel']:5} {message['to']:28} {message['link']}")


if __name__ == "__main__":
    main()
