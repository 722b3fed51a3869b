"""`survey scheduler`: one on SQLite, several on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest

from survey.context import Context

# Generous: under a loaded machine (pytest -n 8) starting Python and the app takes a while.
STARTUP_SECONDS = 60.0


class Scheduler:
    """A `survey scheduler` process whose output is collected as it comes."""

    command = [sys.executable, "-m", "survey", "scheduler"]

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            self.command,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def output(self) -> str:
        return "".join(self.lines)

    def started(self) -> bool:
        """It holds the scheduler lease (on SQLite) and has logged that it runs its jobs."""
        return "scheduler started" in self.output()

    def ended(self) -> bool:
        """It has exited and all its output has been read."""
        return not self._reader.is_alive() and self.process.poll() is not None

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._reader.join(timeout=10)
        assert self.process.stdout is not None
        self.process.stdout.close()


def wait_until(condition: Callable[[], bool], seconds: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {seconds} s"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_second_scheduler_is_refused_on_sqlite_only(ctx: Context, cli_env) -> None:
    first = Scheduler(cli_env)
    try:
        wait_until(lambda: first.started() or first.ended())
        assert first.started() and not first.ended(), first.output()
        second = Scheduler(cli_env)
        try:
            wait_until(lambda: second.started() or second.ended())
            if ctx.store.name == "sqlite":
                assert second.ended() and not second.started(), second.output()
                assert "another scheduler is running" in second.output()
            else:
                assert second.started() and not second.ended(), second.output()
            assert not first.ended(), first.output()
        finally:
            second.stop()
    finally:
        first.stop()
