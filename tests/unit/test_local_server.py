"""`survey run` on one machine: a busy port is reported before any banner, with the fix, and
the survey links point at the port served unless SURVEY_BASE_URL is configured."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from survey.commands import run as run_module
from survey.config import load_settings
from survey.local_server import local_base_url, port_problem, use_local_base_url

SECRETS = {"env": "test", "secret_key": "s" * 32, "sampling_secret": "t", "identifier_key": "u"}


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


@pytest.fixture
def no_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No SURVEY_BASE_URL anywhere: not in the environment, a .env file or a TOML file."""
    monkeypatch.chdir(tmp_path)
    for name in ("SURVEY_BASE_URL", "SURVEY_CONFIG_FILE"):
        monkeypatch.setenv(name, "")  # so that the test's end restores what was there
        monkeypatch.delenv(name)


class FakeScheduler:
    started: list[list[str]] = []

    def __init__(self, args: list[str]) -> None:
        FakeScheduler.started.append(args)

    def poll(self) -> None:
        return None

    def terminate(self) -> None: ...

    def wait(self, timeout: float | None = None) -> int:
        return 0


@pytest.fixture
def no_processes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """`survey run` without its scheduler process and web server: what it would serve."""
    served: list[tuple[str, int]] = []
    FakeScheduler.started = []
    monkeypatch.setattr(run_module.subprocess, "Popen", FakeScheduler)
    monkeypatch.setattr(run_module.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(run_module, "_serve", lambda host, port, **_: served.append((host, port)))
    return served


def test_a_busy_port_is_reported_before_any_banner_with_the_fix(
    busy_port: int, no_processes: list[Any]
) -> None:
    result = CliRunner().invoke(run_module.run, ["--port", str(busy_port)])
    assert result.exit_code == 1
    assert f"port {busy_port} is in use: stop the other process or run `make run PORT=" in (
        result.output
    )
    assert "running at" not in result.output
    assert FakeScheduler.started == [] and no_processes == []


def test_the_suggested_port_is_free(busy_port: int) -> None:
    problem = port_problem("127.0.0.1", busy_port)
    assert problem is not None
    suggested = int(problem.split("PORT=")[1].split("`")[0])
    assert suggested > busy_port and port_problem("127.0.0.1", suggested) is None


def test_an_unknown_host_is_named() -> None:
    problem = port_problem("no-such-host.invalid", 5000)
    assert problem is not None and "no-such-host.invalid" in problem


def test_links_point_at_the_port_served_when_no_base_url_is_configured(
    no_configuration: None, no_processes: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port free now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(run_module.run, ["--port", str(port)])
    assert result.exit_code == 0, result.output
    assert f"Survey links point at http://127.0.0.1:{port}" in result.output
    assert no_processes == [("127.0.0.1", port)] and len(FakeScheduler.started) == 1
    # The scheduler process inherits it: its messages carry the same links.
    assert load_settings(SECRETS).base_url == f"http://127.0.0.1:{port}"


def test_a_configured_base_url_is_kept(
    no_configuration: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SURVEY_BASE_URL", "https://survey.example.se")
    assert use_local_base_url("127.0.0.1", 5001) is None
    monkeypatch.delenv("SURVEY_BASE_URL")
    (tmp_path / ".env").write_text("SURVEY_BASE_URL=https://from-dotenv.example.se\n")
    assert use_local_base_url("127.0.0.1", 5001) is None
    (tmp_path / ".env").unlink()
    assert use_local_base_url("127.0.0.1", 5001) == "http://127.0.0.1:5001"
    assert load_settings(SECRETS).base_url == "http://127.0.0.1:5001"


def test_a_server_listening_everywhere_is_linked_on_this_machine() -> None:
    assert local_base_url("0.0.0.0", 5002) == "http://127.0.0.1:5002"
    assert local_base_url("::1", 5002) == "http://[::1]:5002"
