"""Ingestion throughput: API (batches of 1,000), CSV import, against a raw write floor.

Usage: python bench/ingest.py [--contacts N] [--rss-lines N] [--databases sqlite,postgresql]
The floor writes the same rows into the same table with PostgreSQL COPY (SQLite: executemany).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text

from bench.common import emit, fresh_database, overrides, synthetic_contacts
from survey import accounts, create_app
from survey.config import env_name
from survey.context import build_context
from survey.intake.csv_import import COLUMNS, PLAIN_COLUMNS
from survey.intake.ingest import contact_row
from survey.intake.schemas import ContactIn
from survey.models import Contact

BATCH = 1000


def csv_line(item: dict[str, Any]) -> dict[str, Any]:
    customer = item["customer"]
    return {
        **{k: item.get(k, "") for k in PLAIN_COLUMNS},
        "complaint": "yes" if item["complaint"] else "no",
        "do_not_survey": "",
        "customer_phone": customer.get("phone", ""),
        "customer_email": customer.get("email", ""),
        "customer_language": customer.get("language", ""),
        "customer_ref": customer.get("ref", ""),
    }


def write_csv(path: Path, count: int, seed: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        for item in synthetic_contacts(count, seed=seed):
            writer.writerow(csv_line(item))


def empty(ctx: Any) -> None:
    with ctx.engine.begin() as connection:
        for table in ("contact", "customer_case"):
            connection.execute(text(f"DELETE FROM {table}"))


def run_api(url: str, folder: Path, items: list[dict[str, Any]]) -> float:
    app = create_app(overrides(url, folder))
    ctx = app.extensions["survey"]
    with ctx.session() as session:
        key = accounts.create_api_key(session, actor_name="bench", who="bench")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    start = time.perf_counter()
    for offset in range(0, len(items), BATCH):
        response = client.post(
            "/api/v1/contacts", json={"contacts": items[offset : offset + BATCH]}, headers=headers
        )
        assert response.status_code == 200, response.get_json()
    elapsed = time.perf_counter() - start
    ctx.engine.dispose()
    return elapsed


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _descendants(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found += [int(child) for child in handle.read().split()]
    except OSError:
        return []
    return found + [g for child in found for g in _descendants(child)]


def run_csv(url: str, folder: Path, path: Path) -> tuple[float, float, float]:
    """Import in a child process; return seconds, and the peak RSS (MB) of the importing
    process and of it with its validation workers, sampled from /proc every 0.1 s.
    (getrusage's ru_maxrss of children would count the benchmark's own memory, which a
    forked child shares until it execs.)"""
    env = {env_name(k): str(v) for k, v in overrides(url, folder).items()}
    start = time.perf_counter()
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "survey",
            "contacts",
            "import",
            str(path),
            "--actor",
            "bench",
            "--quiet",
        ],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    main_peak = tree_peak = 0.0
    while child.poll() is None:
        main = _rss_mb(child.pid)
        main_peak = max(main_peak, main)
        tree_peak = max(tree_peak, main + sum(_rss_mb(p) for p in _descendants(child.pid)))
        time.sleep(0.1)
    elapsed = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(child.stderr.read() if child.stderr else "import failed")
    return elapsed, main_peak, tree_peak


def run_floor(ctx: Any, items: list[dict[str, Any]], actor_id: int) -> float:
    rows = [
        contact_row(
            ContactIn.model_validate(i),
            actor_id=actor_id,
            now=ctx.now(),
            default_language="sv",
            identifier_key=ctx.settings.identifier_key,
        )
        for i in items
    ]
    columns = list(rows[0])
    start = time.perf_counter()
    if ctx.store.name == "postgresql":
        raw = ctx.engine.raw_connection()
        try:
            cursor = raw.cursor()
            names = ", ".join(columns)
            with cursor.copy(f"COPY contact ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
            raw.commit()
        finally:
            raw.close()
    else:
        with ctx.engine.begin() as connection:
            connection.execute(insert(Contact), rows)
    return time.perf_counter() - start


def bench_database(kind: str, count: int, rss_lines: int) -> dict[str, Any]:
    items = list(synthetic_contacts(count))
    with fresh_database(kind) as url, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ctx = build_context(overrides(url, folder))
        with ctx.session() as session:
            actor = accounts.create_actor(session, name="bench", who="bench")
        api_seconds = run_api(url, folder, items)
        empty(ctx)
        csv_path = folder / "contacts.csv"
        write_csv(csv_path, count, seed=1)
        csv_seconds, _, _ = run_csv(url, folder, csv_path)
        empty(ctx)
        assert actor.id is not None
        floor_seconds = run_floor(ctx, items, actor.id)
        result = {
            "contacts": count,
            "api_per_s": round(count / api_seconds),
            "csv_per_s": round(count / csv_seconds),
            "floor_per_s": round(count / floor_seconds),
        }
        result["api_ratio_to_floor"] = round(result["api_per_s"] / result["floor_per_s"], 3)
        result["csv_ratio_to_floor"] = round(result["csv_per_s"] / result["floor_per_s"], 3)
        if rss_lines:
            empty(ctx)
            big = folder / "big.csv"
            write_csv(big, rss_lines, seed=2)
            seconds, main_peak, tree_peak = run_csv(url, folder, big)
            result["rss_csv_lines"] = rss_lines
            result["rss_csv_per_s"] = round(rss_lines / seconds)
            result["rss_csv_peak_mb"] = round(main_peak, 1)
            result["rss_csv_peak_mb_with_workers"] = round(tree_peak, 1)
        ctx.engine.dispose()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument(
        "--rss-lines",
        type=int,
        default=1_000_000,
        help="lines of the CSV whose import's peak RSS is measured (0: skip)",
    )
    parser.add_argument("--databases", default="postgresql,sqlite")
    args = parser.parse_args()
    results: dict[str, Any] = {"benchmark": "ingest"}
    for kind in args.databases.split(","):
        results[kind] = bench_database(
            kind, args.contacts, args.rss_lines if kind == "postgresql" else 0
        )
        print(kind, results[kind], flush=True)
    emit(results)


if __name__ == "__main__":
    main()
