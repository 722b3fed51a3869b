"""The respondent in a real browser: keyboard only, decline, opt out, and axe-core scans."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from survey.context import Context
from survey.models import Response, ResponseStatus, Survey
from survey.tokens import opt_out_url, survey_url
from tests.e2e.conftest import LiveServer
from tests.factories import make_survey

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _dispatched_link(server: LiveServer, phone: str, language: str = "sv") -> tuple[int, str]:
    """Make a due survey, run the dispatch job, and take the link from the outbox."""
    ctx = server.ctx
    with ctx.session() as session:
        survey = make_survey(
            ctx, session, contact={"customer_phone": phone, "customer_language": language}
        )
    server.cli("jobs", "run-once", "dispatch")
    messages = json.loads(server.cli("outbox", "list", "--format", "json").output)
    [message] = [m for m in messages if m["to"] == phone]
    assert message["link"].startswith(server.url + "/s/")
    assert "/o/" in message["body"]  # every message carries the opt-out link
    assert survey.id is not None
    return survey.id, message["link"]


def _survey(ctx: Context, survey_id: int) -> Survey:
    with ctx.session() as session:
        found = session.get(Survey, survey_id)
        assert found is not None
        return found


def _tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def _focus_is_visible(page: Any) -> bool:
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }"
    )
    return style[0] != "none" and style[1] != "0px"


def test_answer_with_the_keyboard_only(
    live_server: LiveServer, browser_page: Any, screenshot: Callable[[str], list[Path]]
) -> None:
    page = browser_page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    survey_id, link = _dispatched_link(live_server, "+46700000001")
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "sv"
    _tab_to(page, "input[name=overall]")
    assert _focus_is_visible(page)
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert page.locator("#overall-4").is_checked()
    _tab_to(page, "input[name=manner]")
    page.keyboard.press("Space")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    _tab_to(page, "input[name=resolution]")
    page.keyboard.press("Space")
    _tab_to(page, "textarea[name=comment]")
    page.keyboard.type("Snabb och trevlig hjälp")
    _tab_to(page, "input[name=contact_consent]")
    assert _focus_is_visible(page)
    page.keyboard.press("Space")
    _tab_to(page, "button[type=submit]:not([name])")
    assert _focus_is_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{link}/thanks")
    assert page.get_by_role("heading", level=1).inner_text() == "Tack för dina svar"
    screenshot("thanks-sv")
    assert all(url.startswith(live_server.url) for url in requested), requested
    with live_server.ctx.session() as session:
        response = session.scalars(select(Response)).one()
    assert (response.overall, response.manner, response.resolution) == (4, 5, "yes")
    assert response.comment == "Snabb och trevlig hjälp"
    assert response.contact_consent is True
    assert _survey(live_server.ctx, survey_id).response_status == ResponseStatus.answered


def test_decline_with_the_keyboard(live_server: LiveServer, browser_page: Any) -> None:
    page = browser_page
    survey_id, link = _dispatched_link(live_server, "+46700000002", language="en")
    page.goto(link)
    _tab_to(page, "button[name=action][value=decline]")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "You have declined this survey"
    assert _survey(live_server.ctx, survey_id).response_status == ResponseStatus.declined
    with live_server.ctx.session() as session:
        assert session.scalars(select(Response)).all() == []


def test_opt_out_from_the_survey_page_and_undo(
    live_server: LiveServer, browser_page: Any, screenshot: Callable[[str], list[Path]]
) -> None:
    page = browser_page
    survey_id, link = _dispatched_link(live_server, "+46700000003")
    page.goto(link)
    page.get_by_role("link", name="Inga fler enkäter").click()
    page.get_by_role("button", name="Inga fler enkäter").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Du får inga fler enkäter från oss"
    assert _survey(live_server.ctx, survey_id).response_status == ResponseStatus.opted_out
    screenshot("opted-out-sv")
    page.get_by_role("button", name="Ångra: jag vill få enkäter igen").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Du kan få enkäter från oss igen"
    assert _survey(live_server.ctx, survey_id).response_status == ResponseStatus.opened


def _pages(server: LiveServer, language: str) -> dict[str, str]:
    """One URL for each page a respondent can meet."""
    ctx, key = server.ctx, server.ctx.settings.secret_key
    with ctx.session() as session:
        open_survey = make_survey(ctx, session)
        answered = make_survey(ctx, session, response_status=ResponseStatus.answered)
        expired = make_survey(ctx, session, expires_at=ctx.now() - timedelta(days=1))
    assert open_survey.id and answered.id and expired.id
    suffix = f"?lang={language}"
    return {
        "survey": survey_url(server.url, key, open_survey.id) + suffix,
        "thanks": survey_url(server.url, key, answered.id) + "/thanks" + suffix,
        "already-answered": survey_url(server.url, key, answered.id) + suffix,
        "opt-out": opt_out_url(server.url, key, open_survey.id) + suffix,
        "expired": survey_url(server.url, key, expired.id) + suffix,
        "not-found": f"{server.url}/s/{'A' * 32}{suffix}",
        "privacy": f"{server.url}/privacy{suffix}",
    }


@pytest.mark.slow
@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_respondent_page_passes_axe_wcag_21_aa(
    live_server: LiveServer,
    browser_page: Any,
    screenshot: Callable[[str], list[Path]],
    language: str,
) -> None:
    page, axe = browser_page, Axe()
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    reports = {}
    for name, url in _pages(live_server, language).items():
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == language
        reports[name] = axe.run(page, options=options)
        screenshot(f"{name}-{language}")
        if name == "survey":
            # The page with its error messages shown, and after the one-click opt-out.
            page.get_by_role(
                "button", name="Skicka mina svar" if language == "sv" else "Send my answers"
            ).click()
            reports["survey-errors"] = axe.run(page, options=options)
            screenshot(f"survey-errors-{language}")
    page.goto(_pages(live_server, language)["opt-out"])
    page.locator("form button").first.click()
    reports["opted-out"] = axe.run(page, options=options)
    failures = {
        name: result.generate_report()
        for name, result in reports.items()
        if result.violations_count
    }
    assert failures == {}, "\n".join(failures.values())
