"""The data-protection officer's page: a customer's access export and erasure (GDPR articles 15
and 17), by one identifier in a POSTed form (never in a URL). Erasure shows what would go
first (a dry run) and needs a second, confirming submit; both are audited by the services."""

from __future__ import annotations

import json

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from survey.errors import ServiceError
from survey.models import Role
from survey.privacy.access import export_customer
from survey.privacy.erasure import erase_customer
from survey.privacy.query import CustomerQuery
from survey.web.admin import bp
from survey.web.admin.auth import role_required, who
from survey.web.admin.reports import attachment
from survey.web.app import context, db_session

KINDS = ("phone", "email", "ref")


def _query() -> CustomerQuery:
    kind = request.form.get("kind", "")
    value = request.form.get("value", "").strip()
    if kind not in KINDS:
        raise ServiceError("choose phone, email or ref")
    return CustomerQuery.parse(*(value if k == kind else None for k in KINDS))


@bp.route("/customers", methods=["GET", "POST"])
@role_required(Role.admin, Role.dpo)
def customers() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("admin/customers.html", kinds=KINDS)
    ctx = context()
    action = request.form.get("action", "")
    try:
        query = _query()
    except ServiceError as exc:
        return render_template("admin/customers.html", kinds=KINDS, error=str(exc)), 422
    session, key = db_session(), ctx.settings.identifier_key
    if action == "export":
        data = export_customer(session, query, identifier_key=key, who=who())
        body = json.dumps(data, ensure_ascii=False, indent=2)
        return attachment(body, "application/json", f"customer-{query.label()}.json")
    if action not in ("preview", "erase"):
        return render_template("admin/customers.html", kinds=KINDS, error=_("Unknown action.")), 400
    result = erase_customer(
        session,
        query,
        identifier_key=key,
        now=ctx.now(),
        who=who(),
        dry_run=action == "preview",
    )
    return render_template(
        "admin/customers.html",
        kinds=KINDS,
        result=result,
        kind=request.form.get("kind"),
        value=request.form.get("value", "").strip(),
    )
