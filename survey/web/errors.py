"""Errors become answers only here: JSON problem bodies (RFC 9457) under /api, pages elsewhere."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/webhooks/", "/healthz"))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        if _wants_json():
            response = problem(exc.code or 500, exc.name, exc.description)
            # The exception's own headers, such as a 405's Allow (RFC 9110 requires it).
            for name, value in exc.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value
            return response
        return exc

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        session = g.get("db_session")
        if session is not None:
            session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return problem(500, "Internal Server Error")
        return InternalServerError()
