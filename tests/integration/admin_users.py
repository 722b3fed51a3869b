"""Admin users of a role, logged in through the login form (with its CSRF token)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from survey import accounts
from survey.context import Context

PASSWORD = "correct horse battery staple"


def log_in_as(ctx: Context, client: FlaskClient, role: str) -> FlaskClient:
    """A user of the role (e-mail <role>@example.se), logged in on the client."""
    email = f"{role}@example.se"
    with ctx.session() as session:
        accounts.create_user(session, email=email, password=PASSWORD, role=role, who="test")
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, page
    answer = client.post(
        "/admin/login", data={"email": email, "password": PASSWORD, "csrf_token": token[1]}
    )
    assert answer.status_code == 302
    return client
