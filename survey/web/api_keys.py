"""Bearer API keys for /api/v1: each route needs a scope; the key's holder is in g.api_key."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from survey.accounts.api_keys import KeyHolder, key_holder
from survey.models import ApiScope
from survey.web.app import db_session
from survey.web.errors import problem

F = TypeVar("F", bound=Callable[..., Any])


def require_scope(scope: ApiScope) -> Callable[[F], F]:
    """A valid, unrevoked key (else 401) that holds `scope` (else 403 naming it)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, key = header.partition(" ")
            if scheme.lower() != "bearer" or not key.strip():
                return _unauthorized("send the API key as 'Authorization: Bearer <key>'")
            holder = key_holder(db_session(), key.strip())
            if holder is None:
                return _unauthorized("the API key is not valid")
            if not holder.allows(scope):
                return problem(
                    403,
                    "Forbidden",
                    f"this API key lacks the scope '{scope.value}' that this route needs",
                    scope=scope.value,
                )
            g.api_key = holder
            return view(*args, **kwargs)

        wrapper.required_scope = scope  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def current_key() -> KeyHolder:
    holder: KeyHolder = g.api_key
    return holder


def _unauthorized(detail: str) -> Any:
    response = problem(401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = 'Bearer realm="survey"'
    return response
