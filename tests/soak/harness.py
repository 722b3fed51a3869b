"""The soak: web and scheduler processes on a fresh PostgreSQL database, a client streaming
closed contacts and opt-outs through the HTTP API, faulty providers, a scheduler SIGKILLed every
few seconds. Shared by tests/soak/test_soak.py (reduced size) and bench/soak.py (full size)."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

from bench.common import fresh_database
from survey import accounts
from survey.config import env_name
from survey.context import Context
from survey.db import utcnow
from survey.delivery.dispatch import CLAIM_LEASE, dispatch_due_surveys, mark_lost_sends_unknown
from survey.delivery.reconcile import reconcile_unknown_sms
from survey.startup import start_context
from tests.plugins.delivery import twilio_settings
from tests.soak.checks import interrupted_unknown, unsettled_count
from tests.soak.fleet import Fleet, wait_for
from tests.soak.population import ACTORS, CasePlan, OptOutPlan, Population, make_population, now
from tests.soak.providers import Faults, Providers

SECRETS = {
    "secret_key": "soak-secret-key-0123456789abcdef",
    "sampling_secret": "soak-sampling-secret",
    "identifier_key": "soak-identifier-key",
}
RATE = "0.3"
LAG_METRICS = ("survey_oldest_undecided_case_age_seconds", "survey_oldest_due_survey_age_seconds")


@dataclass(frozen=True)
class Size:
    cases: int
    contacts: int
    batch_cases: int  # cases per streamed batch
    pause: float  # seconds between batches
    kill_every: float  # seconds between SIGKILLs of a scheduler (0: none)
    smtp_outage: float  # seconds the SMTP server is away
    webs: int = 2
    schedulers: int = 3
    concurrency: int = 4  # SURVEY_DISPATCH_CONCURRENCY
    drain_seconds: float = 120.0  # how long the lag may take to return to zero


REDUCED = Size(cases=300, contacts=1500, batch_cases=20, pause=1.0, kill_every=3.0, smtp_outage=4.0)
FULL = Size(
    cases=10_000, contacts=50_000, batch_cases=200, pause=0.0, kill_every=5.0, smtp_outage=60.0,
    drain_seconds=900.0,
)  # fmt: skip


@dataclass
class OptOutSent:
    plan: OptOutPlan
    requested_at: float  # wall clock, before the request
    acknowledged_at: float  # after the 201: the opt-out was committed by then


@dataclass
class Run:
    """What a soak did and saw, for the checks and the figures."""

    size: Size
    population: Population
    settings: dict[str, Any]
    opt_outs: list[OptOutSent] = field(default_factory=list)
    ingest_seconds: float = 0.0
    drain_seconds: float = 0.0
    drained_at: float = 0.0  # wall clock when the lag was back to zero (before settling)
    kills: int = 0
    lag: dict[str, float] = field(default_factory=dict)
    lost_sends: int = 0  # `sending` past the lease after the processes stopped
    unknown_after_kills: int = 0  # `unknown` because a killed process never recorded the send
    settle_rounds: int = 0


def soak_settings(url: str, folder: Path, providers: Providers, size: Size) -> dict[str, Any]:
    """Sampling and dispatch at once: no delay, no quiet hours, no pacing, jobs every second."""
    return {
        "env": "test",
        "database_url": url,
        "instance_path": str(folder / "instance"),
        "base_url": "https://survey.test",
        **SECRETS,
        **twilio_settings(providers.twilio, dispatch_concurrency=size.concurrency),
        "email_backend": "smtp",
        "smtp_url": f"smtp://127.0.0.1:{providers.smtp_port}",
        "email_rate_per_second": 1000.0,
        "sampling_rate": RATE,
        "send_delay_minutes": 0,
        "job_intervals": ["sample=1", "dispatch=1", "reconcile=5"],
    }


def environment(settings: dict[str, Any]) -> dict[str, str]:
    return {
        env_name(k): ",".join(v) if isinstance(v, list) else str(v) for k, v in settings.items()
    }


class Client:
    """The organisation's integrations: each actor posts its contacts, and opt-outs, over HTTP."""

    def __init__(self, urls: list[str], keys: dict[str, str]) -> None:
        self.urls, self.keys = urls, keys
        self.http = requests.Session()
        self.calls = 0

    def _post(self, path: str, actor: str, body: dict[str, Any], expected: int) -> None:
        url = self.urls[self.calls % len(self.urls)]
        self.calls += 1
        headers = {"Authorization": f"Bearer {self.keys[actor]}"}
        answer = self.http.post(f"{url}{path}", json=body, headers=headers, timeout=120)
        if answer.status_code != expected:
            raise AssertionError(f"POST {path}: {answer.status_code} {answer.text[:500]}")

    def contacts(self, cases: list[CasePlan]) -> None:
        moment = now()
        for actor in ACTORS:
            items = [item for case in cases for item in case.contacts_of(actor, moment)]
            if items:
                self._post("/api/v1/contacts", actor, {"contacts": items}, 200)

    def opt_out(self, plan: OptOutPlan) -> OptOutSent:
        requested = time.time()
        self._post("/api/v1/opt-outs", ACTORS[plan.customer.index % 2], plan.identifier, 201)
        return OptOutSent(plan, requested, time.time())


def stream(run: Run, client: Client, batches: list[list[CasePlan]]) -> None:
    """Post the batches in order, each case's opt-out before it, just after it, or two
    batches later (when its survey is being sent or has gone)."""
    later: list[list[OptOutPlan]] = []
    started = time.monotonic()
    for batch in batches:
        planned = [case.opt_out for case in batch if case.opt_out is not None]
        run.opt_outs += [client.opt_out(p) for p in planned if p.moment == "before"]
        client.contacts(batch)
        run.opt_outs += [client.opt_out(p) for p in planned if p.moment == "with"]
        later.append([p for p in planned if p.moment == "later"])
        if len(later) > 2:
            run.opt_outs += [client.opt_out(p) for p in later.pop(0)]
        time.sleep(run.size.pause)
    run.opt_outs += [client.opt_out(p) for group in later for p in group]
    run.ingest_seconds = time.monotonic() - started


def batches_of(population: Population, size: Size) -> list[list[CasePlan]]:
    cases = population.cases
    return [cases[n : n + size.batch_cases] for n in range(0, len(cases), size.batch_cases)]


def lag(url: str) -> dict[str, float]:
    """The two lag gauges of /metrics."""
    text = requests.get(f"{url}/metrics", timeout=30).text
    found = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in LAG_METRICS:
            found[name] = float(value)
    return found


def _keys(ctx: Context) -> dict[str, str]:
    keys = {}
    with ctx.session() as session:
        for actor in ACTORS:
            accounts.create_actor(session, name=actor, who="soak")
            keys[actor] = accounts.create_api_key(session, actor_name=actor, who="soak")
        session.commit()
    return keys


@contextmanager
def soak(
    size: Size, faults: Faults | None = None, seed: int = 11
) -> Iterator[tuple[Run, Context, Providers]]:
    """Run the soak; yield what it did, a context on its database and the providers (for the
    checks) before everything is stopped and the database dropped."""
    population = make_population(size.cases, size.contacts, seed=seed)
    with fresh_database("postgresql") as url, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        providers = Providers(SECRETS["secret_key"], faults or Faults())
        settings = soak_settings(url, folder, providers, size)
        ctx = start_context(settings)
        fleet = Fleet(environment(settings), folder)
        try:
            run = Run(size, population, settings)
            _soak(run, ctx, fleet, providers)
            yield run, ctx, providers
        except BaseException as exc:
            exc.add_note(fleet.log_tail())
            raise
        finally:
            fleet.stop()
            providers.close()
            ctx.engine.dispose()


def _soak(run: Run, ctx: Context, fleet: Fleet, providers: Providers) -> None:
    size = run.size
    keys = _keys(ctx)
    for _ in range(size.webs):
        fleet.start_web()
    for _ in range(size.schedulers):
        fleet.start_scheduler()
    fleet.wait_ready()
    stop, failed = threading.Event(), threading.Event()
    killer = fleet.killing(size.kill_every, stop) if size.kill_every else None
    batches = batches_of(run.population, size)
    outage = threading.Thread(target=_outage, args=(providers, size, len(batches), failed))
    outage.start()
    try:
        stream(run, Client(fleet.urls, keys), batches)
    except BaseException:
        failed.set()
        raise
    finally:
        stop.set()
        if killer is not None:
            killer.join(timeout=120)
        outage.join(timeout=size.smtp_outage + 120)  # the outage lasts its time in full
    run.kills = fleet.kills
    began = time.monotonic()
    wait_for(
        lambda: not any(lag(fleet.urls[0]).values()),
        size.drain_seconds,
        "the sampling and dispatch lag returning to zero",
    )
    run.drain_seconds = time.monotonic() - began
    run.drained_at = time.time()
    run.lag = lag(fleet.urls[0])
    fleet.stop()
    settle(run, ctx)


def _outage(providers: Providers, size: Size, batches: int, failed: threading.Event) -> None:
    """The SMTP server goes away early in the stream for its whole time (back at once if the
    stream failed)."""
    if not failed.wait(max(1.0, batches * max(size.pause, 0.2) / 3)):
        providers.smtp_outage(size.smtp_outage, failed)


def settle(run: Run, ctx: Context, rounds: int = 8) -> None:
    """With every process stopped, let time pass (a clock moved on): sends cut off by a kill
    pass their lease and become `unknown`; reconciliation asks Twilio about each; retries go."""
    ahead = CLAIM_LEASE + timedelta(seconds=1)
    ctx.now = lambda: utcnow() + ahead
    run.lost_sends = mark_lost_sends_unknown(ctx)
    run.unknown_after_kills = interrupted_unknown(ctx)
    for n in range(1, rounds + 1):
        run.settle_rounds = n
        later = ahead + timedelta(hours=2 * n)
        ctx.now = lambda later=later: utcnow() + later
        while _moved(reconcile_unknown_sms(ctx), ("waiting", "lookup_failed", "skipped")):
            pass
        while _moved(dispatch_due_surveys(ctx), ("unknown_after_lease",)):
            pass
        if not unsettled_count(ctx):
            return


def _moved(counts: dict[str, int], idle: tuple[str, ...]) -> bool:
    return any(n for name, n in counts.items() if name not in idle)
