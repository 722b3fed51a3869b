"""The admin web UI under /admin: login (Flask-Login, argon2), dashboard, reports, exports,
policy, audit log, outbox and snapshots. CSRF comes from survey.web.security (app-wide)."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, url_prefix="/admin")


def init_app(app: Flask) -> None:
    """Flask-Login and the admin's template helpers; call once from survey.web.register."""
    from survey.web.admin import auth, filters

    auth.init_login(app)
    filters.init_app(app)


@bp.before_request
def _remember_language() -> None:
    from survey.web.i18n import remember_admin_language

    remember_admin_language()


# The views attach themselves to bp.
from survey.web.admin import auth as _auth  # noqa: E402, F401
from survey.web.admin import comments as _comments  # noqa: E402, F401
from survey.web.admin import customers as _customers  # noqa: E402, F401
from survey.web.admin import dashboard as _dashboard  # noqa: E402, F401
from survey.web.admin import fairness as _fairness  # noqa: E402, F401
from survey.web.admin import followups as _followups  # noqa: E402, F401
from survey.web.admin import manage as _manage  # noqa: E402, F401
from survey.web.admin import recipients as _recipients  # noqa: E402, F401
from survey.web.admin import reports as _reports  # noqa: E402, F401
from survey.web.admin import targets as _targets  # noqa: E402, F401
from survey.web.admin import units as _units  # noqa: E402, F401
