"""The soak's processes: `survey web` and `survey scheduler` children, one of the schedulers
SIGKILLed every few seconds and started again; every child is ended by `stop`."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

from tests.plugins.delivery import free_port

ROOT = Path(__file__).resolve().parents[2]
STOP_SECONDS = 60.0


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll `condition` until it holds; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: still not so after {seconds:.0f} s")
        time.sleep(0.1)


class Fleet:
    def __init__(self, env: dict[str, str], folder: Path) -> None:
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
        self.env = {**os.environ, **env, "PYTHONPATH": path}
        self.folder = folder
        self.webs: list[tuple[subprocess.Popen[bytes], str]] = []
        self.schedulers: list[subprocess.Popen[bytes]] = []
        self.kills = 0
        self._started = 0
        self._lock = threading.Lock()

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        self._started += 1
        log = (self.folder / f"{name}-{self._started}.log").open("wb")
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "survey", *args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()  # the child holds its own descriptor

    def start_web(self) -> str:
        port = free_port()
        process = self._spawn(
            "web", "web", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "8",
            "--access-log", os.devnull,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        self.webs.append((process, url))
        return url

    def start_scheduler(self) -> None:
        self.schedulers.append(self._spawn("scheduler", "scheduler"))

    def wait_ready(self, seconds: float = 90.0) -> None:
        for process, url in self.webs:
            wait_for(lambda p=process, u=url: _healthy(p, u), seconds, f"{url}/healthz")

    @property
    def urls(self) -> list[str]:
        return [url for _, url in self.webs]

    def kill_one(self, rng: random.Random) -> None:
        """SIGKILL one scheduler, as a crash would, and start another in its place."""
        with self._lock:
            victim = rng.choice(self.schedulers)
            victim.kill()
            victim.wait(timeout=STOP_SECONDS)
            self.kills += 1
            self.schedulers.remove(victim)
            self.start_scheduler()

    def killing(self, every: float, stop: threading.Event, seed: int = 3) -> threading.Thread:
        """A thread that kills a scheduler every `every` seconds until `stop` is set."""
        rng = random.Random(seed)

        def loop() -> None:
            while not stop.wait(every):
                self.kill_one(rng)

        thread = threading.Thread(target=loop, name="killer", daemon=True)
        thread.start()
        return thread

    def stop_schedulers(self) -> None:
        """SIGTERM: each finishes the sends in flight; SIGKILL whatever outlives the wait."""
        with self._lock:
            _stop(self.schedulers)
            self.schedulers = []

    def stop(self) -> None:
        self.stop_schedulers()
        _stop([process for process, _ in self.webs])
        self.webs = []

    def log_tail(self, lines: int = 30) -> str:
        """The end of every child's log: what a failed soak shows."""
        parts = []
        for log in sorted(self.folder.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(parts)


def _healthy(process: subprocess.Popen[bytes], url: str) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"the web process for {url} ended with {process.returncode}")
    try:
        return requests.get(f"{url}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
