"""How long `make demo` takes on the embedded default (SQLite): the first run, which loads the
history, and a second, which only adds fresh survey links. The last line of output is one
JSON object with the figures.

    .venv/bin/python bench/demo.py [--days 56]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SECRETS, emit, fresh_database

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo.py"


def _run(env: dict[str, str], folder: str, days: int) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(DEMO), "--days", str(days)],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.monotonic() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=56)
    args = parser.parse_args()
    with fresh_database("sqlite") as url, tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "SURVEY_DATABASE_URL": url,
            "SURVEY_INSTANCE_PATH": folder,
            "SURVEY_BASE_URL": "http://127.0.0.1:5000",
            **{f"SURVEY_{k.upper()}": v for k, v in SECRETS.items()},
        }
        first, output = _run(env, folder, args.days)
        second, _ = _run(env, folder, args.days)
    loaded = re.search(r"\((\d+) contacts, (\d+) surveys, (\d+) answers in the database", output)
    assert loaded, output
    emit(
        {
            "days": args.days,
            "contacts": int(loaded[1]),
            "surveys": int(loaded[2]),
            "answers": int(loaded[3]),
            "first_run_seconds": round(first, 1),
            "second_run_seconds": round(second, 1),
        }
    )


if __name__ == "__main__":
    main()
