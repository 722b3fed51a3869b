"""What a page view costs the database: no write after the first opening, no transaction around
a view, and a cached blank form that still carries each survey's own link and CSRF token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from survey.context import Context
from survey.web.survey import CSRF_SLOT, LINK_SLOT
from tests.factories import make_survey
from tests.integration.survey_pages import csrf_from, token_for


@contextmanager
def _statements(ctx: Context) -> Iterator[list[str]]:
    """The SQL sent to the database inside the block (BEGIN IMMEDIATE on SQLite included)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.lstrip().split(None, 1)[0].upper())

    event.listen(ctx.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(ctx.engine, "before_cursor_execute", record)


def _token(ctx: Context, **fields: Any) -> str:
    with ctx.session() as session:
        survey = make_survey(ctx, session, **fields)
    return token_for(ctx, survey)


def test_only_the_first_view_writes_and_no_view_takes_a_write_lock(
    ctx: Context, client: FlaskClient
) -> None:
    token = _token(ctx)
    with _statements(ctx) as first:
        assert client.get(f"/s/{token}").status_code == 200
    assert first == ["SELECT", "UPDATE"]
    with _statements(ctx) as again:
        assert client.get(f"/s/{token}").status_code == 200
        assert client.get(f"/o/{token}").status_code == 200
    assert set(again) == {"SELECT"}


def test_the_cached_blank_form_carries_each_surveys_own_link_and_form_token(
    ctx: Context, app: Flask
) -> None:
    tokens = [_token(ctx), _token(ctx)]
    clients = [app.test_client(), app.test_client()]
    pages = [c.get(f"/s/{t}").get_data(as_text=True) for c, t in zip(clients, tokens, strict=True)]
    assert len(app.extensions["survey_blank_forms"]) == 1  # one rendering served both
    for page, token, other in zip(pages, tokens, reversed(tokens), strict=True):
        assert page.count(f'action="/s/{token}"') == 2
        assert f'href="/s/{token}?lang=en"' in page and f'href="/o/{token}"' in page
        assert other not in page and LINK_SLOT not in page and CSRF_SLOT not in page
    csrfs = [csrf_from(page) for page in pages]
    assert csrfs[0] != csrfs[1]
    for c, token, csrf in zip(clients, tokens, csrfs, strict=True):
        answer = c.post(f"/s/{token}", data={"overall": "5", "csrf_token": csrf})
        assert answer.status_code == 303


def test_the_cached_form_follows_the_chosen_language(ctx: Context, client: FlaskClient) -> None:
    token = _token(ctx)
    client.get(f"/s/{token}")
    english = client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Send my answers" in english
    assert f'action="/s/{token}?lang=en"' in english
    swedish = client.get(f"/s/{token}").get_data(as_text=True)
    assert '<html lang="sv">' in swedish and f'action="/s/{token}"' in swedish
