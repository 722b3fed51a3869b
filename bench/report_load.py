"""The "reports running" phase of bench/web.py: a year of contacts, cases, decisions, surveys and
answers to report on, and background clients that request the largest reports the API allows
(366 days by day, and by week with a second key), one after the other, while the survey pages
are measured."""

from __future__ import annotations

import http.client
import itertools
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, insert, select

from bench.common import SECRETS
from survey.context import build_context
from survey.models import Actor, Case, Contact, Response, SamplingDecision, Survey
from survey.sampling.draw import local_date

CHANNELS = ("phone", "phone", "chat", "email", "sms")


def report_paths(end: date) -> list[str]:
    """The largest reports: 366 days grouped by day (alone and with a second key), and by week
    with the actor, for the satisfaction report and the contact KPIs."""
    start = end - timedelta(days=366)
    period = {"from": start.isoformat(), "to": end.isoformat()}
    groupings = [["day"], ["day", "channel"], ["week", "actor"]]
    return [
        f"/api/v1/reports/{report}?" + urlencode({**period, "group_by": ",".join(keys)})
        for report in ("satisfaction", "kpi")
        for keys in groupings
    ]


def load_year(url: str, instance: Path, *, contacts: int, end: date) -> str:
    """About `contacts` contacts over the 366 days before `end` (1.25 per case, a fifth of the
    cases drawn, four in five surveys answered); an organisation key with the reports scope."""
    from survey import accounts

    ctx = build_context(
        {"env": "test", "database_url": url, "instance_path": str(instance), **SECRETS}
    )
    rng = random.Random(7)
    start = datetime.combine(end - timedelta(days=366), datetime.min.time(), tzinfo=UTC)
    with ctx.session() as session:
        actors = [Actor(name=f"report-{n}") for n in range(3)]
        session.add_all(actors)
        session.flush()
        first_id = 1 + max(
            session.scalar(select(func.max(model.id))) or 0  # type: ignore[attr-defined]
            for model in (Contact, SamplingDecision, Survey)
        )
        cases = max(1, int(contacts / 1.25))
        closures = sorted(
            start + timedelta(seconds=rng.randrange(366 * 86400)) for _ in range(cases)
        )
        case_rows, contact_rows, last = [], [], {}
        ids = itertools.count(first_id)
        for n, closed in enumerate(closures):
            ref = f"R{n:07d}"
            repeats = 2 if rng.random() < 0.25 else 1
            case_rows.append(
                {
                    "case_ref": ref,
                    "first_opened_at": closed - timedelta(hours=rng.randrange(1, 72)),
                    "last_closed_at": closed,
                    "last_closed_local_date": local_date(closed),
                    "contact_count": repeats,
                    "updated_at": closed,
                    "decided_at": closed,
                }
            )
            for k in range(repeats):
                at = closed - timedelta(hours=k * rng.randrange(1, 48))
                contact_rows.append(_contact(next(ids), ref, at, rng, actors))
                if k == 0:
                    last[ref] = contact_rows[-1]
        session.execute(insert(Case), case_rows)
        session.execute(insert(Contact), contact_rows)
        decisions, surveys, responses = [], [], []
        for n, case in enumerate(case_rows):
            drawn = n % 5 == 0
            decision_id = first_id + n
            contact = last[case["case_ref"]]
            decisions.append(_decision(decision_id, case, drawn))
            if drawn:
                surveys.append(_survey(decision_id, contact, rng))
        session.execute(insert(SamplingDecision), decisions)
        session.execute(insert(Survey), surveys)
        for survey in surveys:
            if survey["response_status"] == "answered":
                responses.append(_response(survey, rng))
        session.execute(insert(Response), responses)
        key = accounts.create_organisation_key(
            session, label="bench-reports", scopes=("reports",), who="bench"
        )
        session.commit()
    ctx.engine.dispose()
    return key


def _contact(
    contact_id: int, ref: str, closed: datetime, rng: random.Random, actors: list[Actor]
) -> dict[str, Any]:
    channel = rng.choice(CHANNELS)
    return {
        "id": contact_id,
        "actor_id": rng.choice(actors).id,
        "external_id": f"r{contact_id}",
        "case_ref": ref,
        "channel": channel,
        "opened_at": closed - timedelta(minutes=rng.randrange(1, 30)),
        "closed_at": closed,
        "closed_local_date": local_date(closed),
        "received_at": closed,
        "agent": f"agent-{rng.randrange(200)}",
        "team": f"team-{rng.randrange(12)}",
        "case_type": rng.choice(["billing", "technical", "delivery"]),
        "complaint": rng.random() < 0.05,
        "do_not_survey": rng.random() < 0.01,
        "customer_phone": f"+4670{rng.randrange(1000000, 9999999)}",
        "customer_language": "sv",
        "content_hash": f"r{contact_id}",
    }


def _decision(decision_id: int, case: dict[str, Any], drawn: bool) -> dict[str, Any]:
    return {
        "id": decision_id,
        "case_ref": case["case_ref"],
        "decided_at": case["last_closed_at"],
        "last_closed_at": case["last_closed_at"],
        "closed_local_date": case["last_closed_local_date"],
        "drawn": drawn,
        "reason": "selected" if drawn else "not_drawn",
        "rate": "0.2",
        "key_fingerprint": "0" * 64,
    }


def _survey(decision_id: int, contact: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    closed, day = contact["closed_at"], contact["closed_local_date"]
    iso = day.isocalendar()
    roll = rng.random()
    response = "answered" if roll < 0.8 else rng.choice(["declined", "expired", "opted_out"])
    return {
        "id": decision_id,
        "case_ref": contact["case_ref"],
        "decision_id": decision_id,
        "contact_id": contact["id"],
        "actor_id": contact["actor_id"],
        "agent": contact["agent"],
        "team": contact["team"],
        "channel": contact["channel"],
        "case_type": contact["case_type"],
        "language": "sv",
        "send_channel": "sms",
        "to_address": contact["customer_phone"],
        "closed_at": closed,
        "closed_local_date": day,
        "closed_week": f"{iso.year}-W{iso.week:02d}",
        "closed_month": f"{day.year}-{day.month:02d}",
        "created_at": closed,
        "send_at": closed + timedelta(hours=1),
        "first_send_at": closed + timedelta(hours=1),
        "sent_at": closed + timedelta(hours=1),
        "delivery_status": "failed" if roll > 0.97 else "delivered",
        "response_status": response,
        "attempts": 1,
    }


def _response(survey: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    def score() -> int | None:
        return None if rng.random() < 0.1 else rng.randint(1, 5)

    items = ("response_time", "manner", "clarity", "knowledge", "engagement", "proactivity")
    return {
        "survey_id": survey["id"],
        "questionnaire": "default",
        "questionnaire_version": 1,
        "submitted_at": survey["send_at"] + timedelta(hours=2),
        "overall": rng.randint(1, 5),
        **{item: score() for item in (*items, "efficiency", "follow_up", "time_taken")},
        "resolution": rng.choice(["yes", "partly", "no"]),
        "fcr": rng.choice(["yes", "no"]),
        "answers": {},
    }


@dataclass
class ReportClients:
    """`clients` threads, each requesting the report paths in turn until stopped."""

    port: int
    key: str
    paths: list[str]
    clients: int
    seconds: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _done_before: int = 0

    def __enter__(self) -> ReportClients:
        self._stop, self._threads = threading.Event(), []
        self._done_before = len(self.seconds)
        for n in range(self.clients):
            thread = threading.Thread(target=self._client, args=(n,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def _client(self, n: int) -> None:
        headers = {"Authorization": f"Bearer {self.key}"}
        for path in itertools.islice(itertools.cycle(self.paths), n, None):
            if self._stop.is_set():
                return
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            finally:
                conn.close()
            with self._lock:
                self.seconds.append(time.perf_counter() - started)
                self.statuses[status] = self.statuses.get(status, 0) + 1

    def wait_for_one(self, timeout: float = 600) -> None:
        """Until a report of this round has come back: the reports are under way (and the
        workers warmed up to them)."""
        deadline = time.monotonic() + timeout
        while len(self.seconds) <= self._done_before and time.monotonic() < deadline:
            time.sleep(0.1)

    def summary(self) -> dict[str, Any]:
        done = sorted(self.seconds)
        return {
            "clients": self.clients,
            "reports": len(done),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "median_s": round(done[len(done) // 2], 3) if done else None,
            "max_s": round(done[-1], 3) if done else None,
        }
