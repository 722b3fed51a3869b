"""The admin pages speak Swedish by default and English after the header's switch, which keeps
the page and its query and is remembered in the admin's session (the public pages keep none)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask.testing import FlaskClient

from survey.context import Context
from tests.integration.admin_users import log_in, make_user

# Each admin page an admin may open, with its heading in Swedish and in English.
PAGES = [
    ("/admin/", "Kundnöjdhet", "Customer satisfaction"),
    ("/admin/units", "Organisationen: alla aktörer", "The organisation: all actors"),
    ("/admin/reports", "Rapport om kundnöjdhet", "Satisfaction report"),
    ("/admin/kpis", "Nyckeltal enligt bilaga 2", "Bilaga 2 KPIs"),
    ("/admin/snapshots", "Ögonblicksbilder per månad", "Monthly snapshots"),
    ("/admin/reports/comments", "Kommentarer", "Comments"),
    ("/admin/customers", "Kunduppgifter (GDPR)", "Customer data (GDPR)"),
    ("/admin/fairness", "Signaler om styrning", "Fairness signals"),
    ("/admin/policy", "Urvalspolicy", "Sampling policy"),
    ("/admin/audit", "Granskningslogg", "Audit log"),
    ("/admin/outbox", "Utkorg", "Outbox"),
    ("/admin/targets", "Mål", "Targets"),
]
# English headings, menu entries and labels that must not show on a Swedish page (not "Total",
# which Swedish also writes: "Total lösningstid").
ENGLISH_PHRASES = [
    "Customer satisfaction",
    "Satisfaction report",
    "Response rate",
    "Dashboard",
    "Reports",
    "Comments",
    "Snapshots",
    "Customer data",
    "Fairness",
    "Sampling policy",
    "Audit log",
    "Outbox",
    "Log out",
    "Log in",
    "Skip to content",
    "Responses",
    "Newest first",
    "Show",
    "From",
    "Satisfaction by team",
    "Policies in force",
    "Overall score",
    "Downloads",
    "Targets",
    "Whole organisation",
    "Lowest score",
    "Text contains",
]


def _text(html: str) -> str:
    """The page's words: tags, the style sheet's and links' addresses left out."""
    return unescape(re.sub(r"<[^>]+>", " ", html))


def _heading(html: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert found, html
    return unescape(found[1]).strip()


def _switch(html: str, language: str) -> str:
    found = re.search(rf'<a href="([^"]+)" lang="{language}"', html)
    assert found, html
    return unescape(found[1])


@pytest.fixture
def admin(ctx: Context, client: FlaskClient) -> FlaskClient:
    email = make_user(ctx, "admin")
    assert log_in(client, email, language="sv").status_code == 302
    return client


def test_the_login_page_is_swedish_with_a_switch_to_english(client: FlaskClient) -> None:
    page = client.get("/admin/login").get_data(as_text=True)
    assert '<html lang="sv">' in page
    assert _heading(page) == "Logga in"
    assert "Lösenord" in page
    english = client.get(_switch(page, "en")).get_data(as_text=True)
    assert '<html lang="en">' in english
    assert _heading(english) == "Log in"
    assert "lang=sv" in _switch(english, "sv")


def test_a_wrong_password_is_told_in_the_chosen_language(ctx: Context, client: FlaskClient) -> None:
    email = make_user(ctx, "analyst")
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    answer = client.post(
        "/admin/login", data={"email": email, "password": "not it at all", "csrf_token": token[1]}
    )
    assert answer.status_code == 401
    assert "E-postadressen eller lösenordet är fel." in answer.get_data(as_text=True)


def test_every_admin_page_is_swedish_by_default(admin: FlaskClient) -> None:
    for path, swedish, _english in PAGES:
        answer = admin.get(path)
        assert answer.status_code == 200, path
        html = answer.get_data(as_text=True)
        assert '<html lang="sv">' in html, path
        assert _heading(html) == swedish, path
        assert "Logga ut" in html and "Rapporter" in html and "Granskningslogg" in html
        words = _text(html)
        shown = [p for p in ENGLISH_PHRASES if re.search(rf"\b{re.escape(p)}\b", words)]
        assert shown == [], path


def test_every_admin_page_is_english_after_the_switch(admin: FlaskClient) -> None:
    for path, _swedish, english in PAGES:
        swedish_page = admin.get(path).get_data(as_text=True)
        assert '<html lang="sv">' in swedish_page, path
        answer = admin.get(_switch(swedish_page, "en"))
        assert answer.status_code == 200, path
        html = answer.get_data(as_text=True)
        assert '<html lang="en">' in html, path
        assert _heading(html) == english, path
        assert "Log out" in html and "Logga ut" not in html, path
        # Remembered: the next page without ?lang= is English too, until switched back.
        assert '<html lang="en">' in admin.get(path).get_data(as_text=True), path
        back = admin.get(_switch(html, "sv")).get_data(as_text=True)
        assert _heading(back) == _swedish, path


def test_the_switch_keeps_the_page_and_its_query(admin: FlaskClient) -> None:
    query = "from=2026-11-02&to=2026-11-30&grain=month"
    html = admin.get(f"/admin/?{query}").get_data(as_text=True)
    link = _switch(html, "en")
    assert link.startswith("/admin/?")
    for part in ("from=2026-11-02", "to=2026-11-30", "grain=month", "lang=en"):
        assert part in link
    english = admin.get(link).get_data(as_text=True)
    assert 'value="2026-11-02"' in english
    assert "CSAT by month" in english
    assert "Kundnöjdhet per månad" in html


def test_a_choice_made_on_the_login_page_outlives_the_login(
    ctx: Context, client: FlaskClient
) -> None:
    email = make_user(ctx, "admin")
    assert log_in(client, email, language="en").status_code == 302
    assert _heading(client.get("/admin/policy").get_data(as_text=True)) == "Sampling policy"


def test_the_public_pages_get_no_language_cookie(client: FlaskClient) -> None:
    for path in ("/s/unknown-token?lang=en", "/o/unknown-token?lang=en"):
        answer = client.get(path)
        assert "Set-Cookie" not in answer.headers, path
