"""A survey page with the example's NPS (0-10) and CES (1-7) questions passes axe-core's WCAG
2.1 AA rules at 360 px and at 1280 px, in Swedish and English."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from survey.tokens import survey_url
from tests.e2e.conftest import LiveServer
from tests.factories import make_survey

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "examples"
    / "questionnaires"
    / "default-with-nps-ces.toml"
)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}


@pytest.fixture
def live_settings_overrides(live_settings_overrides: dict[str, Any]) -> dict[str, Any]:
    folder = Path(live_settings_overrides["instance_path"]) / "questionnaires"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLE, folder / "default.toml")
    return live_settings_overrides


@pytest.mark.slow
@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_page_with_nps_and_ces_passes_axe(
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
    assert survey.id is not None
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(survey_url(live_server.url, ctx.settings.secret_key, survey.id))
        assert page.locator("input[name=recommend]").count() == 11
        result = Axe().run(page, options=AXE_OPTIONS)
        assert result.violations_count == 0, result.generate_report()
        # Every point of the 0-10 row stays within the page at this width.
        overflow = page.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= width
