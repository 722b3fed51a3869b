"""The matrix-sampled survey at 360 x 640 px: every subset of the default design fits in two
screens (at most 1,280 px tall) and passes axe-core's WCAG 2.1 AA rules, in Swedish and English;
so does the thank-you page that offers the remaining questions."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from survey.matrix import design_for
from survey.tokens import survey_url
from tests.e2e.conftest import LiveServer
from tests.factories import make_response, make_survey

SCREEN = {"width": 360, "height": 640}
TWO_SCREENS = 2 * SCREEN["height"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}


def _page_height(page: Any) -> int:
    return int(page.evaluate("() => document.documentElement.scrollHeight"))


def _links(server: LiveServer, language: str) -> dict[str, str]:
    """A survey link for each subset of the default design (4 items per survey)."""
    ctx = server.ctx
    design = design_for(ctx.settings.instance_path, ctx.settings.items_per_survey)
    links = {}
    with ctx.session() as session:
        for subset in design.subsets:
            survey = make_survey(
                ctx, session, asked_items=",".join(subset), contact={"customer_language": language}
            )
            assert survey.id is not None
            links[",".join(subset)] = survey_url(server.url, ctx.settings.secret_key, survey.id)
    return links


@pytest.mark.slow
@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_default_survey_fits_two_screens_at_360_px_and_passes_axe(
    live_server: LiveServer, browser_page: Any, language: str
) -> None:
    page, axe = browser_page, Axe()
    page.set_viewport_size(SCREEN)
    heights, failures = {}, {}
    for subset, link in _links(live_server, language).items():
        page.goto(link)
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("fieldset.question").count() == 1 + 4  # overall and 4 items
        heights[subset] = _page_height(page)
        result = axe.run(page, options=AXE_OPTIONS)
        if result.violations_count:
            failures[subset] = result.generate_report()
    assert failures == {}, "\n".join(failures.values())
    too_tall = {subset: h for subset, h in heights.items() if h > TWO_SCREENS}
    assert too_tall == {}, f"taller than {TWO_SCREENS} px at 360 px wide: {too_tall}"


@pytest.mark.slow
@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_thank_you_page_offering_the_remaining_questions_passes_axe(
    live_server: LiveServer, browser_page: Any, language: str
) -> None:
    ctx, page = live_server.ctx, browser_page
    with ctx.session() as session:
        survey = make_survey(
            ctx,
            session,
            asked_items="manner,clarity,efficiency,fcr",
            contact={"customer_language": language},
        )
        make_response(session, survey, overall=4, manner=5)
    assert survey.id is not None
    page.set_viewport_size(SCREEN)
    page.goto(survey_url(live_server.url, ctx.settings.secret_key, survey.id) + "/thanks")
    assert page.locator("fieldset.question").count() == 11 - 4
    result = Axe().run(page, options=AXE_OPTIONS)
    assert result.violations_count == 0, result.generate_report()
    page.locator("#knowledge-4").check()
    page.locator(".more button[type=submit]").click()
    assert page.locator(".notice").count() == 1
