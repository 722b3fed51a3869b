"""A process's context at start: settings validated once, the texts they shape checked, and the
policy and sampling secret checked against those recorded in the database."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import inspect

from survey.config import ConfigError
from survey.context import Context, build_context
from survey.delivery.messages import check_sms_fits
from survey.matrix import design_for
from survey.sampling.keys import SecretNotInForce, check_secret
from survey.sampling.policy import current_policy, effective_policy
from survey.sampling.questionnaires import check_questionnaire_rules
from survey.sampling.recorded import policy_drift, record_initial_policy

log = logging.getLogger(__name__)
# A sender that can receive replies: a phone number (E.164), not an alphanumeric sender ID.
PHONE_SENDER = re.compile(r"\+[1-9][0-9]{6,14}")


def start_context(
    overrides: dict[str, Any] | None = None,
    *,
    who: str = "system",
    warn: Callable[[str], None] | None = None,
) -> Context:
    """The context for a web app, the scheduler or a command; ConfigError on a bad setting or a
    sampling secret that is not the one in force.

    A database without a recorded policy gets the environment's as its initial version (by
    `who`); each environment value that differs from the stored policy is passed to `warn`
    (default: logged as a warning).
    """
    ctx = build_context(overrides)
    try:
        check_sms_fits(ctx.settings)
        design_for(ctx.settings.instance_path, ctx.settings.items_per_survey)
        check_questionnaire_rules(ctx.settings)
        drift = open_policy(ctx, who=who)
        check_sms_reply_mode(ctx)
    except Exception:
        ctx.store.dispose()
        raise
    for message in drift:
        (warn or log.warning)(message)
    return ctx


def open_policy(ctx: Context, *, who: str, check_key: bool = True) -> list[str]:
    """Record the initial policy if there is none, refuse a sampling secret not in force (unless
    `check_key` is false), and keep the policy in force on the context; the drift messages."""
    if not inspect(ctx.engine).has_table("sampling_key"):
        raise ConfigError(
            "the database at SURVEY_DATABASE_URL has no schema (or one from before the sampling "
            "key was recorded): run `survey db upgrade`"
        )
    with ctx.session() as session:
        record_initial_policy(session, ctx.settings, who=who, now=ctx.now())
        if check_key:
            try:
                check_secret(session, ctx.settings)
            except SecretNotInForce as exc:
                raise ConfigError(str(exc)) from None
        ctx.policy = current_policy(session)
        return [drift.message() for drift in policy_drift(session, ctx.settings)]


def check_sms_reply_mode(ctx: Context) -> None:
    """Refuse SURVEY_SMS_MODE=reply without a sender that can receive replies, or with a
    frequency cap shorter than the expiry (a number must have one open SMS survey at a time)."""
    settings = ctx.settings
    if settings.sms_mode != "reply":
        return
    sender = settings.twilio_from_number
    by_number = settings.sms_backend == "twilio" and not settings.twilio_messaging_service_sid
    if by_number and not PHONE_SENDER.fullmatch(sender):
        raise ConfigError(
            f"invalid configuration: SURVEY_SMS_MODE=reply needs TWILIO_FROM_NUMBER to be a "
            f"phone number (+46...) that can receive replies, not {sender!r}; or set "
            f"TWILIO_MESSAGING_SERVICE_SID to a service with a number sender"
        )
    with ctx.session() as session:
        policies = [ctx.started_policy(), effective_policy(session, ctx.now())]
    for policy in policies:
        if policy.frequency_cap_days < policy.expiry_days:
            raise ConfigError(
                f"invalid configuration: SURVEY_SMS_MODE=reply needs the policy's "
                f"frequency_cap_days ({policy.frequency_cap_days}) to be at least its "
                f"expiry_days ({policy.expiry_days}), so that a number has one open SMS survey "
                f"at a time; change the policy (survey policy) or use SURVEY_SMS_MODE=link"
            )
