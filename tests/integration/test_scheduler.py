"""`survey scheduler`: one on SQLite, several on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from survey.context import Context


def start_scheduler(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "survey", "scheduler"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_lines(process: subprocess.Popen[str], seconds: float) -> bool:
    """True when the process is still running after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        time.sleep(0.2)
    return True


def test_a_second_scheduler_is_refused_on_sqlite_only(ctx: Context, cli_env) -> None:
    first = start_scheduler(cli_env)
    try:
        assert wait_for_lines(first, 4), first.communicate()[0]
        second = start_scheduler(cli_env)
        try:
            running = wait_for_lines(second, 4)
            if ctx.store.name == "sqlite":
                assert not running
                assert "another scheduler is running" in (second.communicate()[0] or "")
            else:
                assert running
        finally:
            second.terminate()
            second.wait(timeout=10)
    finally:
        first.terminate()
        first.wait(timeout=10)
