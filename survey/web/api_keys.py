"""Bearer API keys for /api/v1: the actor behind the key is in g.actor."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from survey.accounts.actors import actor_for_api_key
from survey.models import Actor
from survey.web.app import db_session
from survey.web.errors import problem

F = TypeVar("F", bound=Callable[..., Any])


def require_api_key(view: F) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return _unauthorized("send the API key as 'Authorization: Bearer <key>'")
        actor = actor_for_api_key(db_session(), key.strip())
        if actor is None:
            return _unauthorized("the API key is not valid")
        g.actor = actor
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def current_actor() -> Actor:
    actor: Actor = g.actor
    return actor


def _unauthorized(detail: str) -> Any:
    response = problem(401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = 'Bearer realm="survey"'
    return response
