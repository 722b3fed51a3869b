"""The quality manager's workspace in a real browser: an admin sets a target, reads the
judgements on the dashboard, marks a comment handled; both pages axe clean, no CSP violation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from survey import accounts
from tests.e2e.conftest import LiveServer
from tests.factories import seed_report_data

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "correct horse battery staple"
PERIOD = "from=2026-03-16&to=2026-04-20"


def _axe_clean(page: Any) -> None:
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    result = Axe().run(page, options=options)
    assert result.violations_count == 0, result.generate_report()


@pytest.mark.slow
def test_an_admin_sets_a_target_and_handles_a_comment(
    live_server: LiveServer, browser_page: Any, screenshot: Callable[[str], list[Path]]
) -> None:
    ctx = live_server.ctx
    with ctx.session() as session:
        seed_report_data(ctx, session, surveys=150)
        accounts.create_user(
            session, email="admin@example.se", password=PASSWORD, role="admin", who="test"
        )
    page = browser_page
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{live_server.url}/admin/login?lang=en")
    page.get_by_label("E-mail address").fill("admin@example.se")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    page.get_by_role("link", name="Targets").click()
    page.get_by_role("combobox", name="KPI").select_option("csat")
    page.get_by_role("textbox", name="Target").fill("30")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("cell", name="30.0 %").is_visible()
    _axe_clean(page)
    screenshot("admin-targets")
    page.goto(f"{live_server.url}/admin/?{PERIOD}&grain=week")
    assert page.locator("svg.chart line.target").count() == 3  # CSAT trend and the two bars
    assert page.locator(".target-met, .target-not-met, .target-not-significant").count() > 0
    screenshot("admin-dashboard-targets")
    _axe_clean(page)
    page.goto(f"{live_server.url}/admin/reports/comments?{PERIOD}&q=service")
    assert page.get_by_role("table", name="Comments 2026-03-16 to 2026-04-20 (exclusive)")
    first = page.locator("tbody tr").first
    first.get_by_label("Note").fill("Called the customer back")
    first.get_by_role("button", name="Mark handled").click()
    assert page.get_by_text("The comment was marked handled.").is_visible()
    assert page.get_by_text("Handled by admin:admin@example.se").first.is_visible()
    screenshot("admin-comments")
    _axe_clean(page)
    assert not problems, problems
