"""The admin dashboard in a real browser: log in, read the charts, no CSP violation, axe clean."""

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


@pytest.mark.slow
def test_quality_manager_reads_the_dashboard(
    live_server: LiveServer, browser_page: Any, screenshot: Callable[[str], list[Path]]
) -> None:
    ctx = live_server.ctx
    with ctx.session() as session:
        seed_report_data(ctx, session, surveys=150)
        accounts.create_user(
            session, email="quality@example.se", password=PASSWORD, role="analyst", who="test"
        )
    page = browser_page
    problems: list[str] = []
    # A style or script the CSP refuses shows up as a console error naming the policy.
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{live_server.url}/admin/")
    # The admin pages are Swedish by default: the header's switch chooses English for the login
    # and the pages after it.
    assert page.get_by_role("heading", name="Logga in").is_visible()
    page.get_by_role("link", name="English").click()
    page.get_by_label("E-mail address").fill("quality@example.se")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    page.goto(f"{live_server.url}/admin/?from=2026-03-16&to=2026-04-20&grain=week")
    assert page.get_by_role("heading", name="Customer satisfaction").is_visible()
    charts = page.locator("svg.chart")
    assert charts.count() == 5
    assert page.get_by_role("img", name="CSAT by week with 95 % interval").is_visible()
    # The band and line are styled from admin.css (no inline style): the band is filled.
    band_fill = page.locator("svg.chart .band").first.evaluate("e => getComputedStyle(e).fill")
    assert band_fill not in ("", "none", "rgb(0, 0, 0)")
    assert page.get_by_role("table", name="CSAT by week with its 95 % Wilson interval").is_visible()
    screenshot("admin-dashboard")
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    result = Axe().run(page, options=options)
    assert result.violations_count == 0, result.generate_report()
    assert not problems, problems


@pytest.mark.slow
def test_quality_manager_drills_down_from_the_organisation_to_a_team(
    live_server: LiveServer, browser_page: Any, screenshot: Callable[[str], list[Path]]
) -> None:
    ctx = live_server.ctx
    with ctx.session() as session:
        seed_report_data(ctx, session, surveys=150)
        accounts.create_user(
            session, email="quality@example.se", password=PASSWORD, role="analyst", who="test"
        )
    page = browser_page
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{live_server.url}/admin/login?lang=en")
    page.get_by_label("E-mail address").fill("quality@example.se")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    page.get_by_role("link", name="Units").click()
    page.get_by_label("From").fill("2026-03-16")
    page.get_by_label("To (exclusive)").fill("2026-04-20")
    page.get_by_role("button", name="Show").click()
    assert page.get_by_role("heading", name="The organisation: all actors").is_visible()
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    page.get_by_role("link", name="actor-in-7").click()
    assert page.get_by_role("heading", name="Actor actor-in-7").is_visible()
    page.get_by_role("link", name="team-a").click()
    assert page.get_by_role("heading", name="Team team-a at actor-in-7").is_visible()
    # The filters travel in the URL: the page can be bookmarked.
    assert "from=2026-03-16" in page.url and "to=2026-04-20" in page.url
    assert page.get_by_role("img", name="CSAT by week with 95 % interval").is_visible()
    assert page.get_by_role("heading", name="Control chart (p-chart) of CSAT by week").is_visible()
    screenshot("admin-units-team")
    result = Axe().run(page, options=options)
    assert result.violations_count == 0, result.generate_report()
    page.get_by_role("link", name="Organisation").click()
    result = Axe().run(page, options=options)
    assert result.violations_count == 0, result.generate_report()
    assert not problems, problems
