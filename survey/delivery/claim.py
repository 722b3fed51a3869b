"""Claiming due surveys for a send, a slice at a time: what dispatch and reminders share.

A slice is only as many surveys as can be handed to the provider at once (free places of the
dispatch concurrency, within the channel's rate): they are re-checked for opt-outs, marked and
committed before any of them goes out, so that none is sent twice, and a process killed
mid-run leaves at most the messages then in flight without a recorded outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from survey.channels.base import Message
from survey.config import Settings
from survey.models import Survey, SurveyIdentifier
from survey.optouts import opted_out_hashes
from survey.store import store_of

DueQuery = Callable[[str], SelectOfScalar[Survey]]
"""The due surveys of a channel, in the order they should go."""
Prepare = Callable[[Session, list[Survey], set[int]], list[Message]]
"""Mark claimed surveys and return their messages (given the ids of those opted out)."""


@dataclass(frozen=True)
class Slice:
    """What one claim took: the messages to send now, and how many due rows it used up
    (some are cancelled or failed instead of sent)."""

    messages: list[Message]
    taken: int


ClaimSlice = Callable[[Session, str, int], Slice]
"""Claim at most n due surveys of a channel in the session; the caller commits before sending."""


def claim_slice(
    session: Session, due: DueQuery, prepare: Prepare, channel: str, limit: int
) -> Slice:
    """Claim up to `limit` due surveys of `channel` and prepare them (the caller commits)."""
    # Rows another run has claimed but not committed are left to it, not waited for.
    query = store_of(session).skip_locked(due(channel).limit(limit))
    surveys = list(session.exec(query))
    opted = opted_out_surveys(session, [s.id for s in surveys if s.id is not None])
    return Slice(prepare(session, surveys, opted), len(surveys))


def channel_rates(settings: Settings) -> dict[str, float]:
    """Messages per second each channel may send."""
    return {"sms": settings.sms_rate_per_second, "email": settings.email_rate_per_second}


def claim_limit(rate: float, run_seconds: float, batch_limit: int) -> int:
    """How many surveys a run claims: what the rate sends in it, at least one, at most a batch."""
    return max(1, min(batch_limit, int(rate * run_seconds)))


def opted_out_surveys(session: Session, survey_ids: list[int]) -> set[int]:
    """Those surveys whose customer has opted out, by any of the survey's identifiers."""
    if not survey_ids:
        return set()
    rows = session.exec(
        select(col(SurveyIdentifier.survey_id), col(SurveyIdentifier.identifier_hash)).where(
            col(SurveyIdentifier.survey_id).in_(survey_ids)
        )
    ).all()
    opted = opted_out_hashes(session, [digest for _, digest in rows])
    return {survey_id for survey_id, digest in rows if digest in opted}
