"""Admin login: Flask-Login sessions over argon2-checked users, and the roles.

The session holds the user's id and session version; logout and deactivation raise the version
in the database, so a copy of an old session cookie no longer logs anyone in."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from survey.accounts.users import active_user, log_in, log_out
from survey.models import Role, User
from survey.web.admin import bp
from survey.web.app import context, db_session
from survey.web.i18n import ADMIN_SESSION_KEY
from survey.web.ratelimit import check_login, login_failed

F = TypeVar("F", bound=Callable[..., Any])

login_manager = LoginManager()
login_manager.login_view = "admin.login"
login_manager.login_message = "Log in to see this page."
# Off: Flask-Login's check hashes the client's own X-Forwarded-For and User-Agent, which a thief
# of the cookie sends along as easily, while a changing address would log out a real user. What
# ends a stolen session is the session version kept in the database (see the module's doc).
login_manager.session_protection = None


class AdminUser(UserMixin):
    """The logged-in user as Flask-Login sees it (the table row stays in the database layer)."""

    def __init__(self, user: User) -> None:
        assert user.id is not None
        self.user_id = user.id
        self.session_version = user.session_version
        self.id = f"{user.id}:{user.session_version}"  # what Flask-Login keeps in the session
        self.email = user.email
        self.role = user.role
        self.active = user.active

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    @property
    def may_read_reports(self) -> bool:
        return self.role in REPORT_ROLES

    @property
    def may_read_comments(self) -> bool:
        return self.role in COMMENT_ROLES

    @property
    def may_follow_up(self) -> bool:
        return self.role in FOLLOWUP_ROLES

    @property
    def may_download_answers(self) -> bool:
        """Per-answer rows: admin and dpo, never analysts (SPEC section 6)."""
        return self.role in ANSWER_ROLES


def init_login(app: Flask) -> None:
    https = context_settings_https(app)
    app.config.update(REMEMBER_COOKIE_SECURE=https, REMEMBER_COOKIE_HTTPONLY=True)
    login_manager.init_app(app)


def context_settings_https(app: Flask) -> bool:
    return bool(app.extensions["survey"].settings.base_url.startswith("https://"))


@login_manager.user_loader
def _load_user(session_id: str) -> AdminUser | None:
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = active_user(db_session(), int(user_id), int(version))
    return AdminUser(user) if user is not None else None


# Aggregate reports: admin and analyst. Per-answer rows: admin and dpo. The comments list (no
# agent, no date) all three. The follow-up list (consented customers): admin and followup.
REPORT_ROLES = (Role.admin, Role.analyst)
ANSWER_ROLES = (Role.admin, Role.dpo)
COMMENT_ROLES = (Role.admin, Role.analyst, Role.dpo)
FOLLOWUP_ROLES = (Role.admin, Role.followup)


def role_required(*roles: str) -> Callable[[F], F]:
    """Logged in with one of the roles (admin or analyst when none is named)."""
    allowed = roles or REPORT_ROLES

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def who() -> str:
    return f"admin:{current_user.email}"


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("admin/login.html")
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    # After the app-wide CSRF check: only a well-formed attempt is counted.
    check_login(email)
    user = log_in(db_session(), email=email, password=password)
    if user is None:
        login_failed(email)
        flash(_("The e-mail address or password is wrong."), "error")
        return render_template("admin/login.html", email=email), 401
    language = session.get(ADMIN_SESSION_KEY)
    session.clear()  # a new session on login: no fixation (the chosen language stays)
    if language:
        session[ADMIN_SESSION_KEY] = language
    login_user(AdminUser(user))
    return redirect(_safe_next(request.args.get("next"), user.role))


def _safe_next(target: str | None, role: str) -> str:
    if target and target.startswith("/admin/") and not target.startswith("//"):
        return target
    # A dpo has no dashboard: the comments page links to the per-answer rows.
    if role == Role.followup:
        return url_for("admin.followups")
    return url_for("admin.dashboard" if role in REPORT_ROLES else "admin.comments")


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        log_out(
            db_session(),
            user_id=current_user.user_id,
            session_version=current_user.session_version,
        )
    logout_user()
    session.clear()
    return redirect(url_for("admin.login"))


@bp.context_processor
def _admin_context() -> dict[str, Any]:
    return {"organisation": context().settings.organisation_name}
