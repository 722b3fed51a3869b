"""Admin users of a role, logged in through the login form (with its CSRF token)."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from survey import accounts
from survey.context import Context

PASSWORD = "correct horse battery staple"


def make_user(ctx: Context, role: str) -> str:
    """A user of the role; its e-mail address is <role>@example.se."""
    email = f"{role}@example.se"
    with ctx.session() as session:
        accounts.create_user(session, email=email, password=PASSWORD, role=role, who="test")
    return email


def log_in(client: FlaskClient, email: str, language: str = "en") -> Any:
    """Log in from the login page in the language (kept in the session): English, so the
    tests read the source texts; test_admin_language checks the Swedish default."""
    page = client.get("/admin/login", query_string={"lang": language}).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, page
    return client.post(
        "/admin/login", data={"email": email, "password": PASSWORD, "csrf_token": token[1]}
    )


def log_in_as(ctx: Context, client: FlaskClient, role: str, language: str = "en") -> FlaskClient:
    """A user of the role, logged in on the client (reading the pages in the language)."""
    assert log_in(client, make_user(ctx, role), language).status_code == 302
    return client
