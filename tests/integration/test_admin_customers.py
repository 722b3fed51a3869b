"""The dpo's page: a customer's export and erasure by a POSTed identifier, erasure only after a
dry run shown on the page; analysts may not use it."""

from __future__ import annotations

import json
import re

from flask.testing import FlaskClient
from sqlalchemy import select

from survey.context import Context
from survey.models import AuditLog, Contact
from tests.factories import make_survey
from tests.integration.admin_users import log_in_as

PHONE = "+46701234567"


def _csrf(client: FlaskClient) -> str:
    page = client.get("/admin/customers").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_a_dpo_exports_then_erases_after_seeing_what_would_go(
    ctx: Context, client: FlaskClient
) -> None:
    with ctx.session() as session:
        make_survey(ctx, session, contact={"customer_phone": PHONE, "customer_ref": "K-1"})
    log_in_as(ctx, client, "dpo")
    form = {"kind": "phone", "value": "070-123 45 67", "csrf_token": _csrf(client)}
    exported = client.post("/admin/customers", data={**form, "action": "export"})
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    assert json.loads(exported.get_data(as_text=True))["contacts"][0]["customer_ref"] == "K-1"
    preview = client.post("/admin/customers", data={**form, "action": "preview"})
    html = preview.get_data(as_text=True)
    assert "Erasure would cover" in html and "ref: K-1" in html and 'value="erase"' in html
    with ctx.session() as session:
        assert session.scalars(select(Contact.customer_phone)).one() == PHONE  # nothing yet
    done = client.post("/admin/customers", data={**form, "action": "erase"})
    assert "Erased" in done.get_data(as_text=True)
    with ctx.session() as session:
        assert session.scalars(select(Contact.customer_phone)).one() is None
        actions = {
            (e.action, e.who)
            for e in session.scalars(select(AuditLog)).all()
            if e.action.startswith("customer.")
        }
    assert actions == {
        ("customer.export", "admin:dpo@example.se"),
        ("customer.erase_dry_run", "admin:dpo@example.se"),
        ("customer.erase", "admin:dpo@example.se"),
    }


def test_a_bad_identifier_is_explained_and_an_analyst_is_refused(
    ctx: Context, client: FlaskClient
) -> None:
    log_in_as(ctx, client, "dpo")
    bad = client.post(
        "/admin/customers",
        data={"kind": "phone", "value": "12", "action": "preview", "csrf_token": _csrf(client)},
    )
    assert bad.status_code == 422 and "phone number" in bad.get_data(as_text=True)
    client.post("/admin/logout", data={"csrf_token": _csrf(client)})
    log_in_as(ctx, client, "analyst")
    assert client.get("/admin/customers").status_code == 403
