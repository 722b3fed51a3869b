"""PostgreSQL straight on the driver: binary array parameters, unnest, binary COPY.

A batch is one statement with one array parameter per column (`= ANY(:values)`, `INSERT ...
SELECT FROM unnest(...)`): no quoting of each value as text, which is most of the client's cost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from psycopg.rows import namedtuple_row, tuple_row
from psycopg.types.array import ListBinaryDumper
from sqlalchemy import ColumnElement, Row, Table, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session

_COLLATION = re.compile(r' COLLATE "[^"]*"')
_LENGTH = re.compile(r"\(\d+\)")


class _BinaryList(list[Any]):
    """Values that psycopg sends as one binary array: no quoting of each element as text."""


class _ArrayAsIs(ARRAY[Any]):
    """An array parameter handed to the driver as it is (keeping it a _BinaryList)."""

    cache_ok = True

    def bind_processor(self, dialect: Any) -> None:
        return None

    def adapt(self, cls: Any, **kw: Any) -> Any:
        # The psycopg dialect would swap in its own ARRAY, whose bind processor copies the
        # value into a plain list (quoted element by element as text): keep this type.
        return type(self)(self.item_type)


def among(session: Session, column: Any, values: list[Any], item_type: Any) -> ColumnElement[bool]:
    """`column = ANY(values)`: one array parameter, sent in binary."""
    driver: Any = session.connection().connection.driver_connection
    driver.adapters.register_dumper(_BinaryList, ListBinaryDumper)
    array = bindparam(None, _BinaryList(values), type_=_ArrayAsIs(item_type))
    return column == any_(array)


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict: str | None,
    returning: tuple[str, ...],
) -> list[Any]:
    """INSERT ... SELECT FROM unnest(...): one statement with one array per column."""
    if not rows:
        return []
    return _insert_unnest(session, table, rows, conflict, returning)


def _insert_unnest(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict: str | None,
    returning: tuple[str, ...],
) -> list[Row[Any]]:
    names, rows_sql, params = unnest_select(session, table.c, rows)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) {rows_sql}"
    if conflict:
        sql += f" ON CONFLICT ({conflict}) DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(returning)
    return execute_binary(session, sql, params, fetch=bool(returning))


def unnest_select(
    session: Session, columns: Any, rows: Sequence[dict[str, Any]], *, prefix: str = "p"
) -> tuple[list[str], str, dict[str, Any]]:
    """`SELECT ... AS name, ...` giving the rows (all with the same keys) from array parameters.

    For PostgreSQL; run it with execute_binary. `columns` maps each name to the column whose
    type it has. Returns the names, the SELECT and its parameters, named after `prefix` so
    that several can go in one statement.
    """
    dialect = session.get_bind().dialect
    names = list(rows[0])
    params: dict[str, Any] = {}
    selects = []
    for i, name in enumerate(names):
        values = [row[name] for row in rows]
        # The column's type without its collation: a CAST names a type, not a collation.
        sql_type = _COLLATION.sub("", columns[name].type.compile(dialect=dialect))
        key = f"{prefix}{i}"
        if len(set(values)) == 1:
            # A value shared by every row (the decision time, the rate) goes once, not per row.
            params[key] = values[0]
            selects.append(f"CAST(%({key})b AS {sql_type}) AS {name}")
        else:
            params[key] = values
            selects.append(f"unnest(CAST(%({key})b AS {sql_type}[])) AS {name}")
    return names, "SELECT " + ", ".join(selects), params


def execute_binary(
    session: Session,
    sql: str,
    params: dict[str, Any],
    *,
    fetch: bool = False,
    binary: bool = False,
    tuples: bool = False,
) -> list[Any]:
    """Run SQL with psycopg placeholders in the session's transaction, straight on the driver.

    Binary parameters: text arrays need no quoting, which is most of the client's cost for a
    batch of thousands of rows. `binary` asks for the results in binary too (no parsing of
    timestamps from text). Rows are named tuples (plain tuples with `tuples`); values come as
    psycopg reads them (timestamps in the session's zone, UTC: see survey.store.postgresql).
    """
    driver: Any = session.connection().connection.driver_connection
    with driver.cursor(row_factory=tuple_row if tuples else namedtuple_row) as cursor:
        cursor.execute(sql, params, binary=binary)
        return list(cursor.fetchall()) if fetch else []


def copy_rows(
    session: Session, table: Table, names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """COPY the rows (values in the order of `names`) into the table, in binary (PostgreSQL).

    No per-row statement, and the heap pages filled in bulk; the columns' types come from the
    table, as binary COPY needs them.
    """
    dialect = session.get_bind().dialect
    # VARCHAR(200) COLLATE "C" -> varchar: the type's name as psycopg's registry knows it.
    types = [table.c[n].type.compile(dialect=dialect) for n in names]
    types = [_LENGTH.sub("", _COLLATION.sub("", t)).lower() for t in types]
    sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)"
    driver: Any = session.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(sql) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)
