from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from survey.context import Context
from survey.web import i18n
from tests.factories import make_survey
from tests.integration.survey_pages import token_for


def test_a_language_is_offered_once_it_has_a_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for lang in ("sv", "de"):
        folder = tmp_path / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "messages.po").write_text("", encoding="utf-8")
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    assert i18n.available_languages() == ["sv", "de", "en"]


def test_the_shipped_catalogues_are_swedish_and_english() -> None:
    assert i18n.available_languages() == ["sv", "en"]


def test_a_survey_in_an_unoffered_language_falls_back_to_the_default(
    ctx: Context, client: FlaskClient
) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session, language="fi")
    html = client.get(f"/s/{token_for(ctx, survey)}").get_data(as_text=True)
    assert '<html lang="sv">' in html


def test_a_regional_tag_uses_its_language(ctx: Context, client: FlaskClient) -> None:
    with ctx.session() as session:
        survey = make_survey(ctx, session, language="en-GB")
    html = client.get(f"/s/{token_for(ctx, survey)}").get_data(as_text=True)
    assert '<html lang="en">' in html


class TestEnglishDefault:
    @pytest.fixture
    def settings_overrides(self, settings_overrides: dict[str, Any]) -> dict[str, Any]:
        return {**settings_overrides, "default_language": "en"}

    def test_the_404_page_speaks_the_default_language(self, client: FlaskClient) -> None:
        html = client.get(f"/s/{'A' * 32}").get_data(as_text=True)
        assert '<html lang="en">' in html and "Page not found" in html


def test_every_page_text_has_a_swedish_translation() -> None:
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2]
    method_map = [("templates/survey/**.html", "jinja2"), ("templates/base.html", "jinja2")]
    used = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(str(root), method_map=method_map)
    }
    with (i18n.TRANSLATIONS / "sv" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        swedish = read_po(fh, locale="sv")
    untranslated = sorted(m for m in used if m not in swedish or not swedish[m].string)
    assert len(used) > 40
    assert untranslated == []
