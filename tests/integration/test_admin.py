"""The admin UI: login with argon2 and CSRF, roles, dashboard with SVG charts, reports, downloads,
policy, audit log, outbox, snapshots and fairness pages."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import col, select

from survey import accounts
from survey.context import Context
from survey.models import (
    Actor,
    AuditLog,
    OutboxMessage,
    PolicyVersion,
    ReportSnapshot,
)
from tests.factories import (
    make_contact,
    make_response,
    make_suppressed_decision,
    make_survey,
    seed_report_data,
    utc,
)

PASSWORD = "correct horse battery staple"
PERIOD = {"from": "2026-03-01", "to": "2026-05-01"}


def _user(ctx: Context, email: str, role: str) -> None:
    with ctx.session() as session:
        accounts.create_user(session, email=email, password=PASSWORD, role=role, who="test")


LOGIN_EN = "/admin/login?lang=en"


def _csrf(client: FlaskClient, path: str = "/admin/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def _login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return client.post(
        "/admin/login",
        # English, chosen on the login page: these tests read the source texts.
        data={"email": email, "password": password, "csrf_token": _csrf(client, LOGIN_EN)},
    )


@pytest.fixture
def admin(ctx: Context, client: FlaskClient) -> FlaskClient:
    _user(ctx, "boss@example.se", "admin")
    assert _login(client, "boss@example.se").status_code == 302
    return client


@pytest.fixture
def analyst(ctx: Context, client: FlaskClient) -> FlaskClient:
    _user(ctx, "analyst@example.se", "analyst")
    assert _login(client, "analyst@example.se").status_code == 302
    return client


def test_pages_need_a_login(client: FlaskClient) -> None:
    for path in ("/admin/", "/admin/reports", "/admin/policy", "/admin/snapshots"):
        answer = client.get(path)
        assert answer.status_code == 302
        assert "/admin/login" in answer.headers["Location"]


def test_login_checks_the_password_and_audits_both_outcomes(
    ctx: Context, client: FlaskClient
) -> None:
    _user(ctx, "boss@example.se", "admin")
    assert _login(client, "boss@example.se", "wrong password!!").status_code == 401
    assert client.get("/admin/").status_code == 302
    answer = _login(client, "BOSS@example.se")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/")
    cookie = answer.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert client.get("/admin/").status_code == 200
    with ctx.session() as session:
        actions = session.exec(select(AuditLog.action).order_by(col(AuditLog.id))).all()
    assert actions[-2:] == ["admin.login_failed", "admin.login"]


def test_a_form_without_its_csrf_token_is_refused(ctx: Context, client: FlaskClient) -> None:
    _user(ctx, "boss@example.se", "admin")
    answer = client.post("/admin/login", data={"email": "boss@example.se", "password": PASSWORD})
    assert answer.status_code == 400
    assert client.get("/admin/").status_code == 302


def _replay(app: Flask, cookie: str) -> FlaskClient:
    """Another browser holding a copy of a session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie, domain="localhost")
    return other


def test_logout_ends_the_session_on_the_server(
    ctx: Context, app: Flask, admin: FlaskClient
) -> None:
    cookie = admin.get_cookie("session")
    assert cookie is not None
    assert _replay(app, cookie.value).get("/admin/").status_code == 200  # a copy works until...
    token = _csrf(admin, "/admin/")
    assert admin.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert admin.get("/admin/").status_code == 302
    replayed = _replay(app, cookie.value).get("/admin/")
    assert replayed.status_code == 302 and "/admin/login" in replayed.headers["Location"]
    with ctx.session() as session:
        actions = session.exec(select(AuditLog.action).order_by(col(AuditLog.id))).all()
    assert actions[-1] == "admin.logout"
    assert _login(admin, "boss@example.se").status_code == 302  # a new login works
    assert admin.get("/admin/").status_code == 200


def test_deactivation_ends_every_session_and_refuses_logins(
    ctx: Context, app: Flask, admin: FlaskClient, runner
) -> None:
    cookie = admin.get_cookie("session")
    assert cookie is not None and admin.get("/admin/").status_code == 200
    result = runner("users", "deactivate", "Boss@example.se")
    assert result.exit_code == 0, result.output
    assert "boss@example.se deactivated" in result.output
    assert admin.get("/admin/").status_code == 302
    assert _replay(app, cookie.value).get("/admin/").status_code == 302
    assert _login(app.test_client(), "boss@example.se").status_code == 401
    with ctx.session() as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "user.deactivate")).one()
    assert entry.subject == "boss@example.se" and entry.who.startswith("cli:")
    again = runner("users", "deactivate", "boss@example.se")
    assert again.exit_code == 1 and "deactivated already" in again.output
    unknown = runner("users", "deactivate", "nobody@example.se")
    assert unknown.exit_code == 1 and "no user" in unknown.output


def test_deactivation_leaves_other_users_logged_in(
    ctx: Context, app: Flask, admin: FlaskClient, runner
) -> None:
    _user(ctx, "analyst@example.se", "analyst")
    analyst = app.test_client()
    assert _login(analyst, "analyst@example.se").status_code == 302
    assert runner("users", "deactivate", "boss@example.se").exit_code == 0
    assert analyst.get("/admin/").status_code == 200
    assert admin.get("/admin/").status_code == 302


@pytest.mark.parametrize("role", ["dpo", "followup"])
def test_roles_without_pages_yet_see_no_report_page(ctx: Context, client, role: str) -> None:
    _user(ctx, f"{role}@example.se", role)
    assert _login(client, f"{role}@example.se").status_code == 302
    for path in ("/admin/", "/admin/reports", "/admin/kpis", "/admin/snapshots", "/admin/policy"):
        assert client.get(path).status_code == 403, path


def test_dashboard_shows_charts_with_tables_and_no_inline_script_or_style(
    ctx: Context, admin: FlaskClient
) -> None:
    with ctx.session() as session:
        seed_report_data(ctx, session, surveys=80)
    page = admin.get("/admin/", query_string={**PERIOD, "grain": "week"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<svg") == 5
    assert html.count("<table") >= 5
    assert "2026-W13" in html and "CSAT by week" in html
    assert "<script" not in html and "style=" not in html
    assert "Repeat-contact ratio" in html and "Full resolution time" in html
    assert "Content-Security-Policy" in page.headers


def test_agent_level_report_hides_small_groups(ctx: Context, analyst: FlaskClient) -> None:
    with ctx.session() as session:
        # Varied scores, so that the hidden groups' figures are not pinned at a bound of the
        # scale (all answers alike would tell what each hidden group answered).
        scores = {"agent-big": (2,) * 6, "agent-small": (4, 2), "agent-mid": (5, 1, 2, 4, 3)}
        for agent, overall in scores.items():
            for score in overall:
                survey = make_survey(
                    ctx, session, contact={"agent": agent, "closed_at": utc(2026, 3, 10, 10)}
                )
                make_response(session, survey, overall=score)
    # Agent scores only for a whole calendar month or week (SPEC section 6): March.
    march = {"from": "2026-03-01", "to": "2026-04-01", "group_by": "agent"}
    page = analyst.get("/admin/reports", query_string=march)
    html = page.get_data(as_text=True)
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(r"<th scope=\"row\">(agent-\w+)</th>(.*?)</tr>", html, re.S)
    }
    assert set(rows) == {"agent-big", "agent-small", "agent-mid"}
    assert "2.00" in rows["agent-big"]
    assert "3.00" not in rows["agent-small"] and "3.00" not in rows["agent-mid"]


def test_downloads_in_every_format(ctx: Context, analyst: FlaskClient) -> None:
    with ctx.session() as session:
        seed_report_data(ctx, session, surveys=40)
    base = {**PERIOD, "group_by": "month"}
    xlsx = analyst.get("/admin/reports/download", query_string={**base, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert "attachment" in xlsx.headers["Content-Disposition"]
    sv = analyst.get("/admin/reports/download", query_string={**base, "format": "csv-sv"})
    assert sv.data.startswith(b"\xef\xbb\xbfmonth;sent;")
    js = analyst.get("/admin/reports/download", query_string={**base, "format": "json"})
    assert js.get_json()["group_by"] == ["month"]
    # Per-answer rows are for admin and dpo (tests/integration/test_report_access.py).
    raw = analyst.get("/admin/reports/raw", query_string={**PERIOD, "comments": "1"})
    assert raw.status_code == 403


def test_analysts_cannot_reach_policy_audit_outbox_or_fairness(analyst: FlaskClient) -> None:
    # The fairness page watches actors and agents one by one: it is the admin's alone.
    for path in ("/admin/policy", "/admin/audit", "/admin/outbox", "/admin/fairness"):
        assert analyst.get(path).status_code == 403
    assert 'href="/admin/fairness"' not in analyst.get("/admin/reports").get_data(as_text=True)
    for path in ("/admin/reports", "/admin/kpis", "/admin/snapshots"):
        assert analyst.get(path).status_code == 200


def test_admin_changes_the_policy_through_a_csrf_protected_form(
    ctx: Context, admin: FlaskClient
) -> None:
    page = admin.get("/admin/policy").get_data(as_text=True)
    assert "rate" in page
    token = _csrf(admin, "/admin/policy")
    assert admin.post("/admin/policy", data={"key": "rate", "value": "0.5"}).status_code == 400
    answer = admin.post(
        "/admin/policy",
        data={"key": "rate", "value": "0.5", "reason": "more answers", "csrf_token": token},
    )
    assert answer.status_code == 303
    bad = admin.post(
        "/admin/policy",
        data={"key": "rate", "value": "7", "reason": "x", "csrf_token": token},
        follow_redirects=True,
    )
    assert "invalid value" in bad.get_data(as_text=True)
    with ctx.session() as session:
        versions = session.exec(select(PolicyVersion)).all()
    assert [v.values["rate"] for v in versions] == ["0.2", "0.5"]  # the initial, the change
    assert versions[1].changed_by == "admin:boss@example.se"
    audit_page = admin.get("/admin/audit").get_data(as_text=True)
    assert "policy.change" in audit_page and "more answers" in audit_page


def test_the_audit_log_pages_back_a_hundred_entries_at_a_time(
    ctx: Context, admin: FlaskClient
) -> None:
    with ctx.session() as session:
        for number in range(150):
            accounts.audit(session, who="test", action="paging.test", subject=f"entry-{number:03d}")
        session.commit()
    newest = admin.get("/admin/audit").get_data(as_text=True)
    assert "entry-149" in newest and "entry-050" in newest and "entry-049" not in newest
    older = re.search(r'href="(/admin/audit\?before=\d+)"', newest)
    assert older, newest
    oldest = admin.get(older.group(1)).get_data(as_text=True)
    assert "entry-049" in oldest and "entry-050" not in oldest
    assert "admin.login" in oldest and "Older entries" not in oldest


def test_outbox_and_snapshot_pages(ctx: Context, admin: FlaskClient) -> None:
    with ctx.session() as session:
        session.add(
            OutboxMessage(kind="survey", channel="sms", to_address="+46701234567", body="Hej <b>")
        )
        session.add(
            ReportSnapshot(
                month="2026-03",
                kind="provisional",
                data={"reports": {"total": _empty_report()}},
            )
        )
        session.commit()
        snapshot_id = session.exec(select(ReportSnapshot.id)).one()
    outbox = admin.get("/admin/outbox").get_data(as_text=True)
    assert "Hej &lt;b&gt;" in outbox
    listing = admin.get("/admin/snapshots").get_data(as_text=True)
    assert "2026-03" in listing and "provisional" in listing
    download = admin.get(f"/admin/snapshots/{snapshot_id}.xlsx")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    assert admin.get("/admin/snapshots/999999.xlsx").status_code == 404


def _empty_report() -> dict[str, Any]:

    from survey.reporting.report import figures

    return {
        "from": str(date(2026, 3, 1)),
        "to": str(date(2026, 4, 1)),
        "group_by": [],
        "groups": [],
        "total": figures({}, suppressed=True),
    }


def test_password_guessing_is_rate_limited(ctx: Context, client: FlaskClient) -> None:
    """Five wrong passwords a minute for one account from one address (the address's own
    budget, for all accounts together, is in test_security)."""
    _user(ctx, "qm@example.se", "admin")
    statuses = [_login(client, "qm@example.se", "wrong password").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    assert client.get("/admin/login").status_code == 200  # only attempts are counted


def test_dashboard_shows_the_funnel_weighted_figures_and_a_late_actor_warning(
    ctx: Context, admin: FlaskClient
) -> None:
    with ctx.session() as session:
        seed_report_data(ctx, session, surveys=40)
        late = session.scalars(select(Actor)).first()
        assert late is not None
        for _ in range(3):  # drawn but suppressed as too old: reported late
            contact = make_contact(session, late, closed_at=utc(2026, 3, 24, 10))
            make_suppressed_decision(session, contact, "too_old")
    html = admin.get("/admin/", query_string={**PERIOD, "grain": "week"}).get_data(as_text=True)
    assert "Response funnel" in html and "Suppressed: too old" in html
    assert "AAPOR RR1" in html and "Design-weighted" in html
    assert 'data-warning="too-old"' in html and late.name in html
