"""Languages of the public pages: Flask-Babel, the survey's language, a visible ?lang= switch.

A language is offered when it has a catalogue under survey/translations (English is the source
language of the templates and always offered): adding a language means adding a catalogue,
and its wording to each questionnaire file. The catalogues are compiled by `make translations`.

    pybabel extract -F babel.cfg -o messages.pot .          # after changing a page
    pybabel update -i messages.pot -d survey/translations   # then translate the new entries
    pybabel init -i messages.pot -d survey/translations -l de   # a new language
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, request, session, url_for
from flask_babel import Babel, get_locale

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
SOURCE_LANGUAGE = "en"
# How each language names itself in the switch.
NATIVE_NAMES = {"sv": "svenska", "en": "English"}


def available_languages() -> list[str]:
    found = {p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")}
    return sorted(found | {SOURCE_LANGUAGE}, key=lambda lang: (lang != "sv", lang))


def requested_language() -> str | None:
    """The language asked for with ?lang=, when it is one we offer."""
    args = request.args
    if "lang" not in args:  # (MultiDict.get raises and catches a KeyError for a missing key)
        return None
    lang = args["lang"].strip().lower()
    return lang if lang in current_app.config["SURVEY_LANGUAGES"] else None


# The admin pages speak Swedish unless the user chose otherwise (remembered in the session).
ADMIN_LANGUAGE = "sv"
ADMIN_SESSION_KEY = "admin_language"


def admin_language() -> str:
    """The admin's language: ?lang=, then the choice kept in the session, then Swedish."""
    chosen = requested_language() or session.get(ADMIN_SESSION_KEY)
    if chosen in current_app.config["SURVEY_LANGUAGES"]:
        return str(chosen)
    return ADMIN_LANGUAGE


def remember_admin_language() -> None:
    """Keep a ?lang= choice on an admin page for the next pages (the admin has a session)."""
    chosen = requested_language()
    if chosen and session.get(ADMIN_SESSION_KEY) != chosen:
        session[ADMIN_SESSION_KEY] = chosen


def language_switch_url(lang: str) -> str:
    """The current page and query in another language."""
    values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict(flat=False)}
    values["lang"] = lang
    return url_for(request.endpoint or "admin.dashboard", **values)


def select_locale() -> str:
    """Admin pages: admin_language(). Others: ?lang= first, then the survey's language, then
    SURVEY_DEFAULT_LANGUAGE (the public pages keep no cookie)."""
    if request.blueprint == "admin":
        return admin_language()
    languages = current_app.config["SURVEY_LANGUAGES"]
    chosen = requested_language()
    if chosen:
        return chosen
    survey_language = str(g.get("survey_language") or "").split("-")[0].lower()
    if survey_language in languages:
        return survey_language
    default: str = current_app.config["SURVEY_DEFAULT_LANGUAGE"]
    return default


def init_app(app: Flask) -> None:
    default = app.extensions["survey"].settings.default_language
    app.config.update(
        SURVEY_LANGUAGES=available_languages(),
        SURVEY_DEFAULT_LANGUAGE=default,
        BABEL_DEFAULT_LOCALE=default,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
    )
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(
        native_language_name=lambda lang: NATIVE_NAMES.get(lang, lang),
        language_switch_url=language_switch_url,
    )
    app.context_processor(_language_context)


def _language_context() -> dict[str, object]:
    return {
        "current_language": str(get_locale() or current_app.config["SURVEY_DEFAULT_LANGUAGE"]),
        "languages": current_app.config["SURVEY_LANGUAGES"],
    }
