"""Helpers for the respondent-page tests: links and the form's CSRF token."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from survey.context import Context
from survey.models import Survey
from survey.tokens import make_token

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def token_for(ctx: Context, survey: Survey) -> str:
    assert survey.id is not None
    return make_token(ctx.settings.secret_key, survey.id)


def csrf_from(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no csrf_token field"
    return found.group(1)


def fetch_csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    return csrf_from(page.get_data(as_text=True))
