"""Survey pages under gunicorn (2 workers, loopback) against a bare Flask "hello" route (ceiling).

Usage: python bench/web.py [--database sqlite|postgresql] [--seconds N] [--rate N] [--clients N]
                           [--threads N] [--rounds N] [--report-contacts N] [--report-clients N]
                           [--skip-throughput]

A load generator in other processes plays respondents: fetch a survey page (taking its hidden
fields, and a cookie if one is set) and submit the answers, one survey each. Two phases per
server: as fast as `--clients` concurrent clients go (throughput, `--seconds` split into
`--rounds` that alternate between the two servers, so that a change in the machine's speed falls
on both alike), and a steady `--rate` requests/s (latency,
measured from each request's planned start so that a stall is not hidden). The rate limits on
/s/ and /o/ are raised for the run: one address would otherwise hit them at once.

Reports running: with a year of data loaded (`--report-contacts`), `--report-clients` background
clients (the report slot cap, SURVEY_REPORT_CONCURRENCY, 2 by default) request the largest
reports the API allows one after the other, while the survey pages take `--rate` requests/s;
rounds with and without them alternate, and the JSON line gives both p99s and their ratio.

Both apps run under the same gunicorn settings (2 gthread workers, `--threads` each), side by
side, with the load generator on the same machine; the JSON line states the settings and
the load average before and after, since other work on a shared machine moves the figures.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask

from bench.common import SECRETS, emit, fresh_database
from bench.report_load import ReportClients, load_year, report_paths

hello_app = Flask("hello")


@hello_app.get("/hello")
def hello() -> str:
    return "hello"


ANSWERS = {"overall": "4", "manner": "5", "clarity": "", "resolution": "yes", "fcr": "yes"}
# The form's hidden fields (CSRF token, questionnaire), sent back as a browser does.
_HIDDEN = re.compile(rb'<input type="hidden" name="([^"]+)" value="([^"]*)">')
GENERATOR_PROCESSES = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed_surveys(url: str, instance: Path, count: int) -> list[str]:
    """`count` sent surveys; their URL tokens."""
    from survey.context import build_context
    from survey.tokens import make_token
    from tests.factories import make_actor, make_survey

    ctx = build_context(
        {"env": "test", "database_url": url, "instance_path": str(instance), **SECRETS}
    )
    tokens = []
    with ctx.session() as session:
        actor = make_actor(session, "bench")
        for n in range(count):
            survey = make_survey(
                ctx,
                session,
                actor=actor,
                contact={"customer_phone": f"+4670{n:07d}"},
                delivery_status="sent",
            )
            assert survey.id is not None
            tokens.append(make_token(SECRETS["secret_key"], survey.id))
    ctx.engine.dispose()
    return tokens


def start_gunicorn(
    target: str, port: int, env: dict[str, str], threads: int
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            target,
        ],
        env={**os.environ, **env},
        cwd=Path(__file__).resolve().parent.parent,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not start on port {port}")


def _request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        cookie = response.getheader("Set-Cookie") or ""
        return response.status, data, cookie.split(";", 1)[0]
    finally:
        conn.close()


def _respondent(port: int, token: str | None, record: Any) -> None:
    """One survey: GET the page, POST the answers; a hello run GETs /hello twice."""
    if token is None:
        for _ in range(2):
            started = time.perf_counter()
            status, _, _ = _request(port, "GET", "/hello")
            record(started, status == 200)
        return
    started = time.perf_counter()
    status, page, cookie = _request(port, "GET", f"/s/{token}")
    record(started, status == 200)
    hidden = {name.decode(): value.decode() for name, value in _HIDDEN.findall(page)}
    body = urlencode({**ANSWERS, **hidden})
    started = time.perf_counter()
    status, _, _ = _request(
        port,
        "POST",
        f"/s/{token}",
        body.encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
        },
    )
    record(started, status == 303)


def _generator(
    port: int, tokens: list[str | None], threads: int, seconds: float, rate: float | None, out: Any
) -> None:
    """One load-generating process: `threads` clients, closed loop or at a steady rate."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    queue = list(reversed(tokens))
    end = time.perf_counter() + seconds
    begin = time.perf_counter()
    interval = 2 / rate if rate else 0.0  # each respondent makes two requests
    planned = [0]

    def record(started: float, ok: bool) -> None:
        with lock:
            latencies.append(time.perf_counter() - started)
            errors[0] += not ok

    def client() -> None:
        while time.perf_counter() < end:
            with lock:
                if not queue:
                    return
                token = queue.pop()
                slot = planned[0]
                planned[0] += 1
            if interval:
                start_at = begin + slot * interval
                delay = start_at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            _respondent(port, token, record)

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put((latencies, errors[0], time.perf_counter() - begin))


def ratelimit_storage(url: str) -> str:
    if not url.startswith("redis://"):
        return url
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return "memory://"
    return url


def warm_up(port: int, tokens: list[str | None]) -> None:
    """Wait for both workers to serve, then run a few respondents (templates, catalogues, pools)."""
    path = "/hello" if tokens[0] is None else "/healthz"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _request(port, "GET", path)[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.2)
    for token in tokens:
        _respondent(port, token, lambda _started, _ok: None)


def run_load(
    port: int, tokens: list[str | None], *, seconds: float, clients: int, rate: float | None
) -> dict[str, Any]:
    """One phase: the generators' latencies (seconds), errors and elapsed time."""
    out: Any = multiprocessing.Queue()
    share = [tokens[i::GENERATOR_PROCESSES] for i in range(GENERATOR_PROCESSES)]
    per_rate = rate / GENERATOR_PROCESSES if rate else None
    processes = [
        multiprocessing.Process(
            target=_generator,
            args=(port, part, max(1, clients // GENERATOR_PROCESSES), seconds, per_rate, out),
        )
        for part in share
    ]
    for process in processes:
        process.start()
    results = [out.get() for _ in processes]
    for process in processes:
        process.join()
    return {
        "latencies": [x for r in results for x in r[0]],
        "errors": sum(r[1] for r in results),
        "elapsed": max(r[2] for r in results),
    }


def summary(phases: list[dict[str, Any]]) -> dict[str, Any]:
    """Requests/s over the phases together, and latency percentiles over all their requests."""
    latencies = sorted(x for phase in phases for x in phase["latencies"])
    if not latencies:
        return {"requests": 0}
    elapsed = sum(phase["elapsed"] for phase in phases)

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2)

    return {
        "requests": len(latencies),
        "errors": sum(phase["errors"] for phase in phases),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
    }


def rate_of(phase: dict[str, Any]) -> float:
    return len(phase["latencies"]) / phase["elapsed"] if phase["elapsed"] else 0.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--clients", type=int, default=8)
    # At about 1,000 requests/s the throughput phase takes two requests from each: 14,000 surveys
    # keep it going for its full 10 s (seeding them takes about a minute).
    parser.add_argument("--surveys", type=int, default=14000)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument(
        "--rounds", type=int, default=4, help="throughput rounds per app, alternating hello, survey"
    )
    parser.add_argument(
        "--ratelimit-storage",
        default="redis://127.0.0.1:6379/15",
        help="rate-limit counters as in production (Redis); memory:// when Redis is absent",
    )
    parser.add_argument(
        "--report-contacts",
        type=int,
        default=200_000,
        help="contacts over the year the reports cover (0: no reports-running phase)",
    )
    parser.add_argument(
        "--report-clients",
        type=int,
        default=int(os.environ.get("SURVEY_REPORT_CONCURRENCY", "2")),
        help="background report clients: the report slot cap (SURVEY_REPORT_CONCURRENCY)",
    )
    parser.add_argument(
        "--skip-throughput", action="store_true", help="only the phases at a steady rate"
    )
    return parser.parse_args()


def throughput(
    ports: dict[str, int], tokens: list[str | None], args: argparse.Namespace
) -> dict[str, list[dict[str, Any]]]:
    """Throughput in alternating rounds (hello, survey, hello, ...), so that a change in the
    machine's speed during the run (other tenants) falls on both alike."""
    share = len(tokens) // args.rounds
    rounds: dict[str, list[list[str | None]]] = {
        "hello": [[None] * 100_000 for _ in range(args.rounds)],
        "survey": [tokens[i * share : (i + 1) * share] for i in range(args.rounds)],
    }
    phases: dict[str, list[dict[str, Any]]] = {name: [] for name in ports}
    for r in range(args.rounds):
        for name in ports:
            phases[name].append(
                run_load(
                    ports[name],
                    rounds[name][r],
                    seconds=args.seconds / args.rounds,
                    clients=args.clients,
                    rate=None,
                )
            )
    return phases


def reports_running(
    port: int, tokens: list[str | None], key: str, paths: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    """Survey pages at the steady rate without and with the reports running, in alternating
    rounds (without, with, without, with), each half of `--seconds`."""
    quarter = len(tokens) // 4
    phases: dict[str, list[dict[str, Any]]] = {"without": [], "with": []}
    clients = ReportClients(port, key, paths, args.report_clients)
    for r in range(4):
        part = tokens[r * quarter : (r + 1) * quarter]
        load = {"seconds": args.seconds / 2, "clients": args.clients * 4, "rate": args.rate}
        if r % 2 == 0:
            phases["without"].append(run_load(port, part, **load))
            continue
        with clients:
            clients.wait_for_one()
            phases["with"].append(run_load(port, part, **load))
    without, with_reports = summary(phases["without"]), summary(phases["with"])
    return {
        "survey_at_rate_without_reports": without,
        "survey_at_rate_with_reports": with_reports,
        "reports": clients.summary(),
        "p99_ratio_with_to_without": round(with_reports["p99_ms"] / without["p99_ms"], 2),
        "p99_target_ms": 50,
    }


def main() -> None:
    args = parse_args()
    result: dict[str, Any] = {
        "benchmark": "web",
        "database": args.database,
        "server": "gunicorn gthread, the same settings for hello and survey",
        "workers": 2,
        "threads": args.threads,
        "clients": args.clients,
        "rounds": args.rounds,
        "rate": args.rate,
        "surveys": args.surveys,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    storage = ratelimit_storage(args.ratelimit_storage)
    result["ratelimit_storage"] = storage.split(":", 1)[0]
    with fresh_database(args.database) as url, tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        tokens = seed_surveys(url, instance, args.surveys)
        end = date.today() + timedelta(days=1)
        if args.report_contacts:
            started = time.perf_counter()
            report_key = load_year(url, instance, contacts=args.report_contacts, end=end)
            result["report_contacts"] = args.report_contacts
            result["report_load_seconds"] = round(time.perf_counter() - started, 1)
        env = {
            "SURVEY_ENV": "test",
            "SURVEY_DATABASE_URL": url,
            "SURVEY_INSTANCE_PATH": folder,
            "SURVEY_SECRET_KEY": SECRETS["secret_key"],
            "SURVEY_SAMPLING_SECRET": SECRETS["sampling_secret"],
            "SURVEY_IDENTIFIER_KEY": SECRETS["identifier_key"],
            "SURVEY_RATELIMIT_PUBLIC": "1000000/minute",
            "SURVEY_RATELIMIT_STORAGE_URL": storage,
            "SURVEY_BASE_URL": "http://127.0.0.1",
        }
        targets = {"hello": "bench.web:hello_app", "survey": "survey:create_app()"}
        half = len(tokens) // 2
        steady: dict[str, list[str | None]] = {
            "hello": [None] * 100_000,
            "survey": list(tokens[half : half + half // 3]),
        }
        ports = {name: free_port() for name in targets}
        servers = [start_gunicorn(targets[n], ports[n], env, args.threads) for n in targets]
        try:
            warm_up(ports["hello"], [None] * 20)
            warm_up(ports["survey"], list(tokens[:20]))
            if not args.skip_throughput:
                phases = throughput(ports, list(tokens[20:half]), args)
                result.update(throughput_figures(phases))
            for name in targets:
                result[f"{name}_at_rate"] = summary(
                    [
                        run_load(
                            ports[name],
                            steady[name],
                            seconds=args.seconds,
                            clients=args.clients * 4,
                            rate=args.rate,
                        )
                    ]
                )
            if args.report_contacts:
                rest = list(tokens[half + half // 3 :])
                result["reports_running"] = reports_running(
                    ports["survey"], rest, report_key, report_paths(end), args
                )
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=30)
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    emit(result)


def throughput_figures(phases: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    figures = {f"{name}_max": summary(found) for name, found in phases.items()}
    hello_rps = figures["hello_max"].get("requests_per_s") or 1
    figures["survey_share_of_hello"] = round(
        (figures["survey_max"].get("requests_per_s") or 0) / hello_rps, 3
    )
    figures["survey_share_by_round"] = [
        round(rate_of(survey) / (rate_of(hello) or 1), 3)
        for hello, survey in zip(phases["hello"], phases["survey"], strict=True)
    ]
    return figures


if __name__ == "__main__":
    main()
