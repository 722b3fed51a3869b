"""Shared set-up for the benchmarks: fresh databases, synthetic contacts, one JSON result line."""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

PG_ADMIN_URL = os.environ.get(
    "SURVEY_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SECRETS = {
    "secret_key": "bench-secret-key",
    "sampling_secret": "bench-sampling-secret",
    "identifier_key": "bench-identifier-key",
}


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """A migrated, empty database of `kind` (sqlite or postgresql), removed afterwards."""
    from survey.migrate import upgrade

    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.db"
            upgrade(url)
            yield url
        return
    name = f"survey_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def overrides(url: str, instance: Path, **extra: Any) -> dict[str, Any]:
    return {"env": "test", "database_url": url, "instance_path": str(instance), **SECRETS, **extra}


def synthetic_contacts(
    count: int, *, seed: int = 1, now: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """API-shaped contacts, about two per case, closed over the last two days."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    channels = ["phone", "phone", "chat", "email", "sms"]
    for n in range(count):
        closed = now - timedelta(seconds=rng.randrange(10, 2 * 86400))
        channel = rng.choice(channels)
        customer: dict[str, Any] = {
            "language": rng.choice(["sv", "sv-SE", "en"]),
            "ref": f"K{n // 2}",
        }
        if channel in ("phone", "sms") or rng.random() < 0.5:
            customer["phone"] = f"+4670{rng.randrange(1000000, 9999999)}"
        if channel in ("email", "chat") or rng.random() < 0.3:
            customer["email"] = f"kund{n // 2}@example.se"
        yield {
            "external_id": f"x{n}",
            "case_ref": f"C{n // 2}",
            "channel": channel,
            "opened_at": (closed - timedelta(minutes=rng.randrange(1, 30))).isoformat(),
            "closed_at": closed.isoformat(),
            "agent": f"agent-{rng.randrange(200)}",
            "team": f"team-{rng.randrange(12)}",
            "case_type": rng.choice(["billing", "technical", "delivery"]),
            "complaint": rng.random() < 0.05,
            "customer": customer,
        }


def emit(result: dict[str, Any]) -> None:
    """Print the figures: the last line of output is one JSON object."""
    sys.stdout.flush()
    print(json.dumps(result, sort_keys=True))
