"""The translation catalogues: complete, not fuzzy, and one name for opting out.

The English texts are the message ids themselves (an empty English msgstr falls back to them);
every Swedish text is written out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "survey" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)s")
# What the customer reads: the survey pages, the privacy notice, and the messages.
RESPONDENT_TEMPLATES = [("templates/survey/**.html", "jinja2"), ("templates/base.html", "jinja2")]
MESSAGE_TEMPLATES = ROOT / "templates" / "messages"
# Opting out has one name, "Inga fler enkäter" ("No more surveys"); these were the others.
RETIRED_WORDS = [
    "Sluta få enkäter",
    "Avböj enkäter",
    "avböjt våra enkäter",
    "avstå",
    "Avsluta här",
    "har stängt",
    "kortnummer",
    "upphävt",
    "oavsett vilket",
    "Stop receiving surveys",
    "Opt out of surveys",
    "Unsubscribe here",
]


def _catalogue(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=language)


def _ids(catalogue: Catalog) -> list[str]:
    return [str(m.id) for m in catalogue if m.id]


def _used_on_respondent_pages() -> set[str]:
    found = extract_from_dir(str(ROOT), method_map=RESPONDENT_TEMPLATES)
    return {m[2] if isinstance(m[2], str) else m[2][0] for m in found}


@pytest.mark.parametrize("language", ["sv", "en"])
def test_no_text_is_fuzzy(language: str) -> None:
    fuzzy = [str(m.id) for m in _catalogue(language) if m.id and m.fuzzy]
    assert fuzzy == []


def test_every_swedish_text_is_written_out() -> None:
    untranslated = [str(m.id) for m in _catalogue("sv") if m.id and not m.string]
    assert untranslated == []


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_translation_keeps_the_placeholders_of_its_text(language: str) -> None:
    wrong = [
        str(m.id)
        for m in _catalogue(language)
        if m.id
        and m.string
        and sorted(PLACEHOLDER.findall(str(m.string))) != sorted(PLACEHOLDER.findall(str(m.id)))
    ]
    assert wrong == []


@pytest.mark.parametrize("language", ["sv", "en"])
def test_each_text_appears_once(language: str) -> None:
    ids = _ids(_catalogue(language))
    assert len(ids) == len(set(ids))


def test_every_respondent_text_is_in_both_catalogues() -> None:
    used = _used_on_respondent_pages()
    assert len(used) > 40
    for language in ("sv", "en"):
        missing = sorted(used - set(_ids(_catalogue(language))) - _privacy_only(language))
        assert missing == [], language


def _privacy_only(language: str) -> set[str]:
    """The privacy notice's texts: English reads them from the template (its msgids)."""
    if language == "sv":
        return set()
    found = extract_from_dir(str(ROOT), method_map=[("templates/survey/privacy.html", "jinja2")])
    return {m[2] if isinstance(m[2], str) else m[2][0] for m in found}


def test_opting_out_has_one_name_everywhere_the_customer_reads() -> None:
    swedish = _catalogue("sv")
    texts = [str(m.string) for m in swedish if m.id] + sorted(_used_on_respondent_pages())
    texts += [p.read_text(encoding="utf-8") for p in MESSAGE_TEMPLATES.rglob("*.*")]
    found = sorted({w for w in RETIRED_WORDS for t in texts if w.lower() in t.lower()})
    assert found == []
    assert swedish["No more surveys"].string == "Inga fler enkäter"
    for path in MESSAGE_TEMPLATES.glob("sv/*"):
        if path.name != "email_subject.txt":
            assert "Inga fler enkäter" in path.read_text(encoding="utf-8"), path.name
    for path in MESSAGE_TEMPLATES.glob("en/*"):
        if path.name != "email_subject.txt":
            assert "No more surveys" in path.read_text(encoding="utf-8"), path.name
