"""The deployment files run what they say: the commands of compose.yaml (on the Dockerfile's
entry point) and of the systemd units, run here outside a container against the test database.
No container runtime is needed (or present on the test machines)."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from survey.config import Settings, env_name
from survey.context import Context
from tests.integration.test_scheduler import Scheduler, wait_until
from tests.plugins.delivery import free_port

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def _entrypoint() -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    (line,) = [line for line in text.splitlines() if line.startswith("ENTRYPOINT")]
    entry: list[str] = json.loads(line.removeprefix("ENTRYPOINT"))
    return entry


def _unit(name: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (ROOT / "deploy" / "systemd" / name).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_compose_runs_postgresql_redis_web_and_scheduler_from_one_image() -> None:
    services = _compose()["services"]
    assert {"db", "redis", "migrate", "web", "scheduler"} <= set(services)
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert _entrypoint() == ["survey"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["web"]["command"][:1] == ["web"]
    assert services["scheduler"]["command"] == ["scheduler"]
    for name in ("migrate", "web", "scheduler"):
        environment = services[name]["environment"]
        assert environment["SURVEY_DATABASE_URL"].startswith("postgresql://")
        assert "@db:5432/" in environment["SURVEY_DATABASE_URL"]
        assert environment["SURVEY_RATELIMIT_STORAGE_URL"].startswith("redis://redis:")
        assert services[name]["env_file"] == "deploy/survey.env"
    after_migrate = services["web"]["depends_on"]["migrate"]["condition"]
    assert after_migrate == "service_completed_successfully"


def test_the_systemd_units_run_the_same_commands_as_compose() -> None:
    web, scheduler = _unit("survey-web.service"), _unit("survey-scheduler.service")
    services = _compose()["services"]
    web_command = shlex.split(web["ExecStart"][0])
    assert Path(web_command[0]).name == "survey" and web_command[1] == "web"
    assert shlex.split(web["ExecStartPre"][0])[1:] == services["migrate"]["command"]
    assert shlex.split(scheduler["ExecStart"][0])[1:] == services["scheduler"]["command"]
    for unit in (web, scheduler):
        assert unit["EnvironmentFile"] == ["/etc/survey/survey.env"]
        assert unit["KillSignal"] == ["SIGTERM"]


def test_the_environment_file_names_only_settings_that_exist() -> None:
    known = {env_name(field) for field in Settings.model_fields}
    text = (ROOT / "deploy" / "survey.env").read_text()
    names = re.findall(r"^([A-Z_]+)=", text, flags=re.MULTILINE)
    assert names and set(names) <= known, set(names) - known
    assert "SURVEY_ENV=production" in text and "SURVEY_METRICS_TOKEN=" in text


def _command(args: list[str]) -> list[str]:
    """A compose command as run here: the entry point `survey` is `python -m survey`."""
    return [sys.executable, "-m", "survey", *args]


@pytest.mark.slow
def test_the_compose_commands_migrate_serve_and_schedule(
    ctx: Context, cli_env: dict[str, str]
) -> None:
    services = _compose()["services"]
    env = {**os.environ, **cli_env}
    migrate = subprocess.run(
        _command(services["migrate"]["command"]), env=env, capture_output=True, timeout=120
    )
    assert migrate.returncode == 0, migrate.stderr

    port = free_port()
    args = [a.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for a in services["web"]["command"]]
    web = subprocess.Popen(
        _command(args), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _status(url, "/healthz", web) == 200)
        assert requests.get(f"{url}/healthz/scheduler", timeout=5).status_code == 503
        assert _command(services["scheduler"]["command"]) == Scheduler.command
        scheduler = Scheduler(cli_env)
        try:
            wait_until(lambda: _status(url, "/healthz/scheduler", web) == 200)
        finally:
            scheduler.stop()
        assert scheduler.process.returncode == 0, scheduler.output()
        assert requests.get(f"{url}/healthz/scheduler", timeout=5).status_code == 503
        assert requests.get(f"{url}/metrics", timeout=5).status_code == 200
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)
    assert web.returncode == 0


def _status(url: str, path: str, process: subprocess.Popen[bytes]) -> int:
    assert process.poll() is None, "survey web exited"
    try:
        return requests.get(f"{url}{path}", timeout=2).status_code
    except requests.ConnectionError:
        time.sleep(0.2)
        return 0
