"""PostgreSQL's contact intake: COPY a batch into a staging table, then insert it set-based."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from survey.models import Contact

# Every column a new contact row carries (its id is the database's; it is purged later): a
# column added to the model is staged too, and a row without it fails loudly.
_STAGE_COLUMNS = tuple(
    c.name
    for c in Contact.__table__.columns  # type: ignore[attr-defined]
    if c.name not in ("id", "purged_at")
)
_COLUMN_LIST = ", ".join(_STAGE_COLUMNS)
_STAGE = f"CREATE TEMP TABLE IF NOT EXISTS contact_stage AS SELECT {_COLUMN_LIST} FROM contact WITH NO DATA"  # noqa: S608, E501
# One statement: insert the new contacts, fold them into their cases (sorted by case_ref so
# that concurrent batches lock cases in one order), and return which contacts were new.
_INSERT_FROM_STAGE = f"""
WITH inserted AS (
    INSERT INTO contact ({_COLUMN_LIST})
    SELECT {_COLUMN_LIST} FROM contact_stage ORDER BY actor_id, external_id
    ON CONFLICT (actor_id, external_id) DO NOTHING
    RETURNING actor_id, external_id, case_ref, opened_at, closed_at, closed_local_date
), cases AS (
    INSERT INTO customer_case (case_ref, first_opened_at, last_closed_at,
                               last_closed_local_date, contact_count, updated_at)
    SELECT case_ref, min(coalesce(opened_at, closed_at)), max(closed_at),
           max(closed_local_date), count(*), :now
    FROM inserted GROUP BY case_ref ORDER BY case_ref
    ON CONFLICT (case_ref) DO UPDATE SET
        last_closed_at = greatest(customer_case.last_closed_at, excluded.last_closed_at),
        -- a later instant never has an earlier local date: the latest date is the last's
        last_closed_local_date = greatest(customer_case.last_closed_local_date,
                                          excluded.last_closed_local_date),
        first_opened_at = least(customer_case.first_opened_at, excluded.first_opened_at),
        contact_count = customer_case.contact_count + excluded.contact_count,
        updated_at = excluded.updated_at
)
SELECT actor_id, external_id FROM inserted
"""  # noqa: S608 (constant columns)


def add_contacts(
    session: Session, rows: list[dict[str, Any]], *, now: datetime
) -> set[tuple[int, str]]:
    """Insert the contacts that are new and fold them into their cases; the keys inserted."""
    connection = session.connection()
    connection.execute(text(_STAGE))
    connection.execute(text("TRUNCATE contact_stage"))
    driver: Any = connection.connection.driver_connection
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY contact_stage ({_COLUMN_LIST}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([row[c] for c in _STAGE_COLUMNS])
    result = connection.execute(text(_INSERT_FROM_STAGE), {"now": now})
    return {(a, e) for a, e in result}
