"""Twilio callbacks: message status and inbound replies, accepted only with a valid signature."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue
from twilio.request_validator import RequestValidator

from survey.delivery.status_callbacks import apply_inbound_sms, apply_status_callback
from survey.web.app import context, db_session

# Named "webhooks": survey.web.security exempts it from CSRF (the signature protects it).
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/twilio")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _require_twilio_signature() -> None:
    """403 unless X-Twilio-Signature matches the public URL (SURVEY_BASE_URL) and the form."""
    settings = context().settings
    url = settings.base_url + request.path
    if request.query_string:
        url += "?" + request.query_string.decode()
    signature = request.headers.get("X-Twilio-Signature", "")
    token = settings.twilio_auth_token
    if (
        not token
        or not signature
        or not RequestValidator(token).validate(url, request.form, signature)
    ):
        abort(403)


@bp.post("/status")
def status() -> ResponseReturnValue:
    _require_twilio_signature()
    survey_id = request.args.get("survey_id", "")
    if not survey_id.isdigit():
        return Response(status=204)
    changed = apply_status_callback(
        db_session(),
        survey_id=int(survey_id),
        kind=request.args.get("kind", "survey"),
        message_sid=request.form.get("MessageSid", ""),
        status=request.form.get("MessageStatus", ""),
        error_code=request.form.get("ErrorCode"),
        now=context().now(),
    )
    return Response(status=200 if changed else 204)


@bp.post("/inbound")
def inbound() -> ResponseReturnValue:
    _require_twilio_signature()
    ctx = context()
    apply_inbound_sms(
        db_session(),
        identifier_key=ctx.settings.identifier_key,
        phone=request.form.get("From", ""),
        body=request.form.get("Body", ""),
        now=ctx.now(),
        message_sid=request.form.get("MessageSid") or None,
    )
    return Response(EMPTY_TWIML, mimetype="text/xml")
