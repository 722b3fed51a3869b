"""Set-based reads and writes that stay fast on both databases.

PostgreSQL gets one array parameter per column (`= ANY(:values)`, `INSERT ... SELECT FROM
unnest(...)`), so a batch is one statement with a handful of parameters; SQLite gets chunks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import ColumnElement, Row, String, Table, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

CHUNK = 900  # under SQLite's default limit of bound variables per statement, with room


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def among(
    session: Session, column: Any, values: Iterable[Any], item_type: Any = String
) -> Iterator[ColumnElement[bool]]:
    """Conditions `column IN values`: one for PostgreSQL, one per chunk for SQLite."""
    wanted = list(values)
    if not wanted:
        return
    if dialect_of(session) == "postgresql":
        yield column == any_(bindparam(None, wanted, type_=ARRAY(item_type)))
        return
    for start in range(0, len(wanted), CHUNK):
        yield column.in_(wanted[start : start + CHUNK])


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: str | None = None,
    returning: tuple[str, ...] = (),
) -> list[Row[Any]]:
    """Insert rows (all with the same keys), skipping those that hit the `conflict` column."""
    if not rows:
        return []
    if dialect_of(session) == "postgresql":
        return _insert_unnest(session, table, rows, conflict, returning)
    statement: Any = sqlite_insert(table)
    if conflict:
        statement = statement.on_conflict_do_nothing(index_elements=[conflict])
    if not returning:
        session.execute(statement, list(rows))
        return []
    statement = statement.returning(*(table.c[name] for name in returning))
    return list(session.execute(statement, list(rows)))


def _insert_unnest(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict: str | None,
    returning: tuple[str, ...],
) -> list[Row[Any]]:
    dialect = session.get_bind().dialect
    names = list(rows[0])
    params: dict[str, Any] = {}
    selects = []
    for i, name in enumerate(names):
        values = [row[name] for row in rows]
        sql_type = table.c[name].type.compile(dialect=dialect)
        if len(set(values)) == 1:
            # A value shared by every row (the decision time, the rate) goes once, not per row.
            params[f"p{i}"] = values[0]
            selects.append(f"CAST(%(p{i})b AS {sql_type})")
        else:
            params[f"p{i}"] = values
            selects.append(f"unnest(CAST(%(p{i})b AS {sql_type}[]))")
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(selects)}"
    if conflict:
        sql += f" ON CONFLICT ({conflict}) DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(returning)
    # Straight to psycopg with binary parameters: text arrays need no quoting, which is
    # most of the client's cost for a batch of thousands of rows.
    driver: Any = session.connection().connection.driver_connection
    with driver.cursor(row_factory=namedtuple_row) as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if returning else []
