"""What a page view costs the database: no write after the first opening, no transaction around
a view, and a cached blank form that still carries each survey's own link and CSRF token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from survey.context import Context
from survey.models import Response, Survey
from survey.tokens import form_token, read_token
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


def form_token_of(ctx: Context, token: str) -> str:
    return form_token(ctx.settings.secret_key, token)


def _opened_at(ctx: Context, token: str) -> tuple[str, datetime | None]:
    with ctx.session() as session:
        survey = session.get(Survey, read_token(ctx.settings.secret_key, token))
        assert survey is not None
        return survey.response_status, survey.opened_at


def test_only_the_first_view_writes_and_no_view_takes_a_write_lock(
    ctx: Context, client: FlaskClient
) -> None:
    token = _token(ctx)
    with _statements(ctx) as first:
        assert client.get(f"/s/{token}").status_code == 200
    status, opened_at = _opened_at(ctx, token)
    assert status == "opened" and opened_at is not None
    with _statements(ctx) as again:
        assert client.get(f"/s/{token}").status_code == 200
        assert client.get(f"/o/{token}").status_code == 200
    assert _opened_at(ctx, token) == (status, opened_at)
    if ctx.store.name == "postgresql":
        # One statement opens and reads (WITH ... UPDATE ... RETURNING), in autocommit; a later
        # view's UPDATE matches no row, so it locks none.
        assert first == ["WITH"]
        assert again[0] == "WITH" and set(again[1:]) == {"SELECT"}
    else:
        assert first == ["SELECT", "UPDATE"]
        assert set(again) == {"SELECT"}


# SQLite has no data-modifying WITH: there the answer is an UPDATE and an INSERT in a transaction.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("form", "statements"),
    [
        ({"questionnaire": "default"}, ["WITH"]),  # as the page's form sends it
        ({}, ["SELECT", "WITH"]),  # a client that leaves out the hidden field: read, then write
        ({"questionnaire": "short"}, ["WITH", "SELECT", "WITH"]),  # not this survey's: the same
    ],
)
def test_an_answer_on_postgresql_is_one_statement(
    ctx: Context, client: FlaskClient, form: dict[str, str], statements: list[str]
) -> None:
    token = _token(ctx, delivery_status="sent")
    page = client.get(f"/s/{token}").get_data(as_text=True)
    assert '<input type="hidden" name="questionnaire" value="default">' in page
    with _statements(ctx) as answer:
        posted = client.post(
            f"/s/{token}", data={"overall": "5", "csrf_token": csrf_from(page), **form}
        )
    assert posted.status_code == 303
    assert answer == statements
    with ctx.session() as session:
        stored = session.scalars(select(Response)).one()
        survey = session.get(Survey, stored.survey_id)
    assert stored.overall == 5 and survey is not None and survey.response_status == "answered"
    assert survey.responded_at is not None and survey.opened_at is not None


# A survey's age, expiry and delivery status, and whether page_state calls it open.
OPEN_OR_NOT = [
    (timedelta(days=1), None, "sent", True),
    (timedelta(days=1), timedelta(minutes=1), "sent", True),
    (timedelta(days=1), timedelta(minutes=-1), "sent", False),
    (timedelta(days=1), None, "cancelled", False),
    ("expiry", None, "sent", False),  # sent exactly the expiry period ago
    ("just within", None, "sent", True),
]
NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def _aged_token(ctx: Context, age: Any, expires_in: timedelta | None, delivery_status: str) -> str:
    """A survey sent `age` before NOW (or at the expiry limit, or a second inside it)."""
    ctx.now = lambda: NOW
    expiry = timedelta(days=ctx.settings.expiry_days)
    sent_ago = {"expiry": expiry, "just within": expiry - timedelta(seconds=1)}.get(age, age)
    return _token(
        ctx,
        delivery_status=delivery_status,
        sent_at=NOW - sent_ago,
        expires_at=None if expires_in is None else NOW + expires_in,
    )


@pytest.mark.parametrize(("age", "expires_in", "delivery_status", "opens"), OPEN_OR_NOT)
def test_a_view_opens_only_a_survey_that_is_still_open(
    ctx: Context,
    client: FlaskClient,
    age: Any,
    expires_in: timedelta | None,
    delivery_status: str,
    opens: bool,
) -> None:
    """The one-statement view on PostgreSQL decides `open` in SQL: it must agree with page_state."""
    token = _aged_token(ctx, age, expires_in, delivery_status)
    page = client.get(f"/s/{token}")
    status, opened_at = _opened_at(ctx, token)
    if opens:
        assert page.status_code == 200 and (status, opened_at) == ("opened", NOW)
    else:
        assert page.status_code == 410 and (status, opened_at) == ("pending", None)


@pytest.mark.parametrize(("age", "expires_in", "delivery_status", "takes"), OPEN_OR_NOT)
def test_an_answer_is_taken_only_while_the_survey_is_open(
    ctx: Context,
    client: FlaskClient,
    age: Any,
    expires_in: timedelta | None,
    delivery_status: str,
    takes: bool,
) -> None:
    """On PostgreSQL the answer checks `open` in its one statement: it must agree with
    page_state, which the ordinary path (and SQLite) asks."""
    token = _aged_token(ctx, age, expires_in, delivery_status)
    form = {"overall": "4", "questionnaire": "default", "csrf_token": form_token_of(ctx, token)}
    posted = client.post(f"/s/{token}", data=form)
    with ctx.session() as session:
        stored = session.scalars(select(Response)).all()
    if takes:
        assert posted.status_code == 303 and [r.overall for r in stored] == [4]
        assert stored[0].questionnaire == "default" and stored[0].submitted_at == NOW
    else:
        assert posted.status_code == 409 and stored == []


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
