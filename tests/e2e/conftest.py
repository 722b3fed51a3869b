"""Browser fixtures: the app on a loopback port (`live_server`) and Chromium (`browser_page`).

The live app has its own migrated SQLite database, emptied after each test; `live_ctx` is the
Context the server uses, for making test data (tests.factories) and running jobs in-process.
Browser tests skip when /usr/bin/chromium is absent, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from survey import create_app
from survey.context import Context
from survey.migrate import upgrade
from tests.conftest import TEST_SECRETS, _empty_all_tables

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@dataclass
class LiveServer:
    url: str
    ctx: Context
    overrides: dict[str, Any]

    def cli(self, *args: str) -> Any:
        """Run the `survey` command in-process against the live server's database."""
        from click.testing import CliRunner

        from survey.cli import cli
        from survey.config import env_name

        env = {env_name(k): str(v) for k, v in self.overrides.items()}
        result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result


class _Deferred:
    """A WSGI app set after the server has a port (the app's base URL needs the port)."""

    app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def live_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'survey.db'}"
    upgrade(url)
    return url


@pytest.fixture
def live_settings_overrides(live_database_url: str, tmp_path: Path) -> dict[str, Any]:
    """Override to change the live app's settings (base_url is filled in by live_server)."""
    return {
        "env": "test",
        "database_url": live_database_url,
        "instance_path": str(tmp_path / "instance"),
        "quiet_hours": "",
        **TEST_SECRETS,
    }


@pytest.fixture
def live_server(live_settings_overrides: dict[str, Any]) -> Iterator[LiveServer]:
    """The app served by werkzeug on 127.0.0.1 (a free port) in a thread."""
    deferred = _Deferred()
    server = make_server("127.0.0.1", 0, deferred, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    overrides = {**live_settings_overrides, "base_url": url}
    app = create_app(overrides)
    deferred.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ctx: Context = app.extensions["survey"]
    try:
        yield LiveServer(url=url, ctx=ctx, overrides=overrides)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        _empty_all_tables(ctx)
        ctx.engine.dispose()


@pytest.fixture
def live_ctx(live_server: LiveServer) -> Context:
    return live_server.ctx


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is required under CI=true (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} not installed")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_page(browser: Any) -> Iterator[Any]:
    """A fresh page (its own cookies) 1280 px wide; resize with page.set_viewport_size."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(browser_page: Any) -> Callable[[str], list[Path]]:
    """Save full-page screenshots at 360 and 1280 px under test-output/screenshots/."""

    def take(name: str) -> list[Path]:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        saved = []
        for width in (360, 1280):
            browser_page.set_viewport_size({"width": width, "height": 800})
            path = SCREENSHOTS / f"{name}-{width}.png"
            browser_page.screenshot(path=str(path), full_page=True)
            saved.append(path)
        browser_page.set_viewport_size({"width": 1280, "height": 900})
        return saved

    return take
