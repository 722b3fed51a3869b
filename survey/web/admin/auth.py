"""Admin login: Flask-Login sessions over argon2-checked users, and the two roles."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from survey.accounts.users import active_user, log_in
from survey.models import Role, User
from survey.web.admin import bp
from survey.web.app import context, db_session

F = TypeVar("F", bound=Callable[..., Any])

login_manager = LoginManager()
login_manager.login_view = "admin.login"
login_manager.login_message = "Log in to see this page."
login_manager.session_protection = "strong"


class AdminUser(UserMixin):
    """The logged-in user as Flask-Login sees it (the table row stays in the database layer)."""

    def __init__(self, user: User) -> None:
        self.id = str(user.id)
        self.email = user.email
        self.role = user.role
        self.active = user.active

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin


def init_login(app: Flask) -> None:
    https = context_settings_https(app)
    app.config.update(REMEMBER_COOKIE_SECURE=https, REMEMBER_COOKIE_HTTPONLY=True)
    login_manager.init_app(app)


def context_settings_https(app: Flask) -> bool:
    return bool(app.extensions["survey"].settings.base_url.startswith("https://"))


@login_manager.user_loader
def _load_user(user_id: str) -> AdminUser | None:
    if not user_id.isdigit():
        return None
    user = active_user(db_session(), int(user_id))
    return AdminUser(user) if user is not None else None


def role_required(*roles: str) -> Callable[[F], F]:
    """Logged in with one of the roles (any admin role when none is named)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
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
    user = log_in(db_session(), email=email, password=password)
    if user is None:
        flash("The e-mail address or password is wrong.", "error")
        return render_template("admin/login.html", email=email), 401
    session.clear()  # a new session on login: no fixation
    login_user(AdminUser(user))
    return redirect(_safe_next(request.args.get("next")))


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/admin/") and not target.startswith("//"):
        return target
    return url_for("admin.dashboard")


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    logout_user()
    session.clear()
    return redirect(url_for("admin.login"))


@bp.context_processor
def _admin_context() -> dict[str, Any]:
    return {"organisation": context().settings.organisation_name}
