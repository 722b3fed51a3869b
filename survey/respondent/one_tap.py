"""A view of the survey page through one of the e-mail's one-tap links (/s/<token>?overall=N).

The page opens with the score chosen; nothing is answered by following a link, since mail
security scanners follow every link of a message. Such a view opens the survey as any view does,
except in a scanner's burst: a view through a one-tap link less than BURST seconds after a view
through a different one (another score) of the same survey. That view opens nothing, and an
opening recorded less than BURST seconds before it is undone (back to pending). The survey keeps
the time and score of its latest one-tap view (tapped_at, tapped_overall) to apply the rule.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update
from sqlmodel import Session

from survey.models import ResponseStatus
from survey.respondent.states import SURVEY, PageState, SurveyView, page_state
from survey.store import store_of
from survey.tokens import read_token

BURST = timedelta(seconds=5)
# A view that loses the race to record itself this many times is shown without being recorded.
_ATTEMPTS = 3
_VIEW_COLUMNS = [SURVEY.c[f.name] for f in fields(SurveyView)]
_TAP_VIEW = select(*_VIEW_COLUMNS, SURVEY.c.tapped_at, SURVEY.c.tapped_overall)


def after_tap(
    *,
    response_status: str,
    opened_at: datetime | None,
    tapped_at: datetime | None,
    tapped_overall: int | None,
    overall: int,
    now: datetime,
) -> dict[str, Any]:
    """The survey's columns to change for a one-tap view with score `overall` at `now` (pure)."""
    values: dict[str, Any] = {"tapped_at": now, "tapped_overall": overall}
    burst = tapped_at is not None and tapped_overall != overall and abs(now - tapped_at) < BURST
    if not burst:
        if response_status == ResponseStatus.pending:
            values.update(response_status=ResponseStatus.opened, opened_at=now)
        return values
    recent_opening = opened_at is not None and abs(now - opened_at) < BURST
    if response_status == ResponseStatus.opened and recent_opening:
        values.update(response_status=ResponseStatus.pending, opened_at=None)
    return values


def survey_for_tap(
    session: Session,
    secret_key: str,
    token: str,
    overall: int,
    *,
    now: datetime,
    expiry_days: int,
) -> SurveyView | None:
    """The survey behind a one-tap link, its view recorded under the burst rule; an answer, a
    decline or a closed survey is left as it is. Commits (each statement in autocommit)."""
    survey_id = read_token(secret_key, token)
    if survey_id is None:
        return None
    store_of(session).autocommit(session)
    connection = session.connection()
    view: SurveyView | None = None
    for _ in range(_ATTEMPTS):
        row = connection.execute(_TAP_VIEW.where(SURVEY.c.id == survey_id)).first()
        if row is None:
            return None
        view = SurveyView(*row[: len(_VIEW_COLUMNS)])
        if page_state(view, now=now, expiry_days=expiry_days) is not PageState.open:
            return view
        values = after_tap(
            response_status=view.response_status,
            opened_at=view.opened_at,
            tapped_at=row.tapped_at,
            tapped_overall=row.tapped_overall,
            overall=overall,
            now=now,
        )
        if record_tap(connection, survey_id, row, values):
            view.response_status = values.get("response_status", view.response_status)
            view.opened_at = values.get("opened_at", view.opened_at)
            return view
    return view


def record_tap(connection: Connection, survey_id: int, seen: Any, values: dict[str, Any]) -> bool:
    """Write `values` only if the survey is still as `seen` (its state and latest one-tap view):
    two views at once, as a scanner makes them, then see each other. True when written."""
    conditions = [
        SURVEY.c.id == survey_id,
        SURVEY.c.response_status == seen.response_status,
        (
            SURVEY.c.tapped_at.is_(None)
            if seen.tapped_at is None
            else SURVEY.c.tapped_at == seen.tapped_at
        ),
    ]
    result = connection.execute(update(SURVEY).where(*conditions).values(**values))
    return result.rowcount == 1
