"""Twilio callbacks: message status and inbound replies, accepted only with a valid signature."""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, abort, current_app, request
from flask.typing import ResponseReturnValue
from twilio.request_validator import RequestValidator

from survey.channels.configured import channels_for
from survey.delivery.status_callbacks import apply_inbound_sms, apply_status_callback, keyword
from survey.respondent.sms_answer import answer_by_sms
from survey.web.app import context, db_session

log = logging.getLogger(__name__)
# Named "webhooks": survey.web.security exempts it from CSRF (the signature protects it).
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/twilio")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# A survey id as our StatusCallback URLs carry it: ASCII digits within the BIGINT column.
SURVEY_ID = re.compile(r"[0-9]{1,19}")
MAX_SURVEY_ID = 2**63 - 1


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
    """200 when the callback moved the survey on, else 204: Twilio counts any 2xx as received
    and does not send it again, so a callback that is not the survey's own is not repeated."""
    _require_twilio_signature()
    if "survey_id" not in request.args:
        return Response(status=204)  # not a survey's message
    ctx = context()
    changed = apply_status_callback(
        db_session(),
        survey_id=_survey_id(request.args["survey_id"]),
        kind=request.args.get("kind", "survey"),
        message_sid=request.form.get("MessageSid", ""),
        to=request.form.get("To", ""),
        status=request.form.get("MessageStatus", ""),
        error_code=request.form.get("ErrorCode"),
        identifier_key=ctx.settings.identifier_key,
        now=ctx.now(),
    )
    return Response(status=200 if changed else 204)


def _survey_id(raw: str) -> int:
    """The callback URL's survey id; 400 when it cannot be one of ours."""
    if not SURVEY_ID.fullmatch(raw) or int(raw) > MAX_SURVEY_ID:
        abort(400, "survey_id must be a survey's id")
    return int(raw)


@bp.post("/inbound")
def inbound() -> ResponseReturnValue:
    """STOP and START; in SMS reply mode any other reply answers the number's latest survey."""
    _require_twilio_signature()
    ctx = context()
    body = request.form.get("Body", "")
    if ctx.settings.sms_mode == "reply" and keyword(body) is None:
        answer = answer_by_sms(
            db_session(),
            settings=ctx.settings,
            questionnaires=current_app.extensions["questionnaires"],
            phone=request.form.get("From", ""),
            body=body,
            message_sid=request.form.get("MessageSid") or None,
            now=ctx.now(),
            expiry_days=ctx.started_policy().expiry_days,
        )
        if answer is not None:
            with channels_for(ctx, None) as channels:
                sent = channels["sms"].send(answer)
            if sent.outcome != "sent":
                log.warning("the %s SMS of survey %s was not sent", answer.kind, answer.survey_id)
        return Response(EMPTY_TWIML, mimetype="text/xml")
    apply_inbound_sms(
        db_session(),
        identifier_key=ctx.settings.identifier_key,
        phone=request.form.get("From", ""),
        body=body,
        now=ctx.now(),
        message_sid=request.form.get("MessageSid") or None,
    )
    return Response(EMPTY_TWIML, mimetype="text/xml")
