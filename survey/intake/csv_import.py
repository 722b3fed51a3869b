"""Streaming CSV import of closed contacts: same validation as the API, batch commits, rejects."""

from __future__ import annotations

import csv
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from survey.accounts.actors import get_actor
from survey.context import Context
from survey.intake.ingest import contact_row, field_errors, ingest_rows
from survey.intake.schemas import ContactIn

# The columns that go into the API item as they are (empty cells are absent values).
PLAIN_COLUMNS = (
    "external_id",
    "case_ref",
    "channel",
    "opened_at",
    "closed_at",
    "agent",
    "team",
    "case_type",
)
COLUMNS = (
    *PLAIN_COLUMNS,
    "complaint",
    "do_not_survey",
    "customer_phone",
    "customer_email",
    "customer_language",
    "customer_ref",
)
REQUIRED = ("external_id", "case_ref", "channel", "closed_at")
_TRUE = {"1", "true", "yes", "ja", "y", "x"}
_FALSE = {"", "0", "false", "no", "nej", "n"}


class CsvFormatError(Exception):
    """The file cannot be imported at all (e.g. a missing or unknown column)."""


@dataclass
class ImportSummary:
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    reject_file: Path | None = None


def _flag(value: str, column: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{column}: expected yes/no, true/false or 1/0")


def item_from_line(line: dict[str, str]) -> dict[str, Any]:
    """The API shape of one CSV line; empty cells are absent values."""
    value = {k: (v.strip() if isinstance(v, str) else v) for k, v in line.items()}
    item: dict[str, Any] = {k: value[k] or None for k in PLAIN_COLUMNS if k in value}
    item["complaint"] = _flag(value.get("complaint") or "", "complaint")
    reason = value.get("do_not_survey") or ""
    if reason.lower() not in _FALSE:
        # A yes/no column or the reason itself; both mean: never survey this case.
        item["do_not_survey"] = {"reason": "unspecified" if reason.lower() in _TRUE else reason}
    customer = {
        key: value.get(f"customer_{key}") or None for key in ("phone", "email", "language", "ref")
    }
    item["customer"] = {k: v for k, v in customer.items() if v is not None}
    return {k: v for k, v in item.items() if v is not None}


def _check_header(fields: list[str] | None) -> None:
    if not fields:
        raise CsvFormatError("the file is empty or has no header row")
    unknown = [f for f in fields if f not in COLUMNS]
    missing = [f for f in REQUIRED if f not in fields]
    if unknown:
        raise CsvFormatError(
            f"unknown column(s): {', '.join(unknown)}; allowed: {', '.join(COLUMNS)}"
        )
    if missing:
        raise CsvFormatError(f"missing column(s): {', '.join(missing)}")


def _counted(handle: TextIO, progress: Callable[[int], object]) -> Iterator[str]:
    for line in handle:
        progress(len(line))
        yield line


Line = tuple[int, dict[str, str]]
Reject = tuple[int, dict[str, str], str]


def validate_lines(
    lines: list[Line], actor_id: int, now: datetime, default_language: str, identifier_key: str
) -> tuple[list[tuple[int, dict[str, Any]]], list[Reject]]:
    """Parse and validate lines into contact rows (runs in a worker process for big files)."""
    rows: list[tuple[int, dict[str, Any]]] = []
    rejects: list[Reject] = []
    for line_num, line in lines:
        try:
            contact = ContactIn.model_validate(item_from_line(line), context={"now": now})
        except ValidationError as exc:
            reason = "; ".join(f"{e.field}: {e.message}" for e in field_errors(exc))
            rejects.append((line_num, line, reason))
            continue
        except ValueError as exc:
            rejects.append((line_num, line, str(exc)))
            continue
        row = contact_row(
            contact,
            actor_id=actor_id,
            now=now,
            default_language=default_language,
            identifier_key=identifier_key,
        )
        rows.append((line_num, row))
    return rows, rejects


def _chunks(reader: csv.DictReader[str], size: int) -> Iterator[list[Line]]:
    chunk: list[Line] = []
    for line in reader:
        chunk.append((reader.line_num, line))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def import_csv(
    ctx: Context,
    path: Path,
    *,
    actor_name: str,
    reject_path: Path | None = None,
    batch_size: int = 2000,
    workers: int = 1,
    progress: Callable[[int], object] = lambda _: None,
) -> ImportSummary:
    """Import `path` for an actor; lines that fail go to `reject_path` with line and reason.

    With workers > 0, parsing and validation run in that many processes while this one
    writes to the database; memory stays bounded by a few batches in flight.
    """
    with ctx.session() as session:
        actor_id = get_actor(session, name=actor_name).id
    assert actor_id is not None
    summary = ImportSummary()
    reject_path = reject_path or path.with_name(path.stem + ".rejects.csv")
    language = ctx.settings.default_language
    with path.open(newline="", encoding="utf-8-sig") as handle, _Rejects(reject_path) as rejects:
        reader = csv.DictReader(_counted(handle, progress))
        _check_header(list(reader.fieldnames or []))
        fields = list(reader.fieldnames or [])
        chunks = _chunks(reader, batch_size)
        if workers > 0:
            results = _validated_in_workers(chunks, workers, actor_id, ctx, language)
        else:
            key = ctx.settings.identifier_key
            results = (validate_lines(c, actor_id, ctx.now(), language, key) for c in chunks)
        for rows, rejected in results:
            for line_num, line, reason in rejected:
                rejects.add(line_num, line, reason)
            if rows:
                _store(ctx, rows, summary, rejects, fields)
        summary.rejected = rejects.count
    summary.reject_file = reject_path if summary.rejected else None
    return summary


def _validated_in_workers(
    chunks: Iterator[list[Line]], workers: int, actor_id: int, ctx: Context, language: str
) -> Iterator[tuple[list[tuple[int, dict[str, Any]]], list[Reject]]]:
    in_flight: deque[Future[tuple[list[tuple[int, dict[str, Any]]], list[Reject]]]] = deque()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        for chunk in chunks:
            in_flight.append(
                pool.submit(
                    validate_lines,
                    chunk,
                    actor_id,
                    ctx.now(),
                    language,
                    ctx.settings.identifier_key,
                )
            )
            if len(in_flight) > 2 * workers:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()


def _store(
    ctx: Context,
    batch: list[tuple[int, dict[str, Any]]],
    summary: ImportSummary,
    rejects: _Rejects,
    fields: Sequence[str],
) -> None:
    with ctx.session() as session:
        result = ingest_rows(session, [row for _, row in batch], now=ctx.now())
        session.commit()
    summary.imported += result.accepted
    summary.duplicates += result.duplicates
    for conflict in result.conflicts:
        line_num, row = batch[conflict.index]
        rejects.add(
            line_num, {f: str(row.get(f) or "") for f in fields}, conflict.errors[0].message
        )


class _Rejects:
    """The reject file, written only when there is something to reject."""

    def __init__(self, path: Path) -> None:
        self.path, self.count = path, 0
        self._handle: TextIO | None = None
        self._writer: Any = None

    def __enter__(self) -> _Rejects:
        return self

    def add(self, line_num: int, line: dict[str, Any], reason: str) -> None:
        if self._writer is None:
            self._handle = self.path.open("w", newline="", encoding="utf-8")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(["line", "reason", *line.keys()])
        self._writer.writerow([line_num, reason, *line.values()])
        self.count += 1

    def __exit__(self, *_: object) -> None:
        if self._handle is not None:
            self._handle.close()
