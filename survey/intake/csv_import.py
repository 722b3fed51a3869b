"""Streaming CSV import of closed contacts: same validation as the API, batch commits, rejects."""

from __future__ import annotations

import csv
import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError

from survey.accounts.actors import get_actor
from survey.accounts.audit_log import audit
from survey.context import Context
from survey.intake.csv_lines import CsvFormatError, CsvRecords, LineReject
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


log = logging.getLogger(__name__)


@dataclass
class ImportSummary:
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    reject_file: Path | None = None


class ImportInterrupted(Exception):
    """The database failed during the import: what was committed stays, a re-run resumes."""

    def __init__(self, summary: ImportSummary, from_line: int | None, cause: Exception) -> None:
        self.summary, self.from_line = summary, from_line
        where = f"lines from {from_line} on" if from_line else "the file"
        super().__init__(
            f"the database failed ({type(cause).__name__}): {summary.imported} contacts were "
            f"committed before it, {where} not stored. Run the same command again: it resumes "
            "(committed contacts count as duplicates, nothing is stored twice)."
        )


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


def _check_header(fields: list[str]) -> None:
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
Validated = tuple[list[tuple[int, dict[str, Any]]], list[Reject]]


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


def _chunks(records: CsvRecords, size: int) -> Iterator[tuple[list[Line], list[LineReject]]]:
    """Records in chunks of `size`, each with the lines before its end that were no record."""
    chunk: list[Line] = []
    unreadable: list[LineReject] = []
    for found in records:
        if isinstance(found, LineReject):
            unreadable.append(found)
            continue
        chunk.append(found)
        if len(chunk) >= size:
            yield chunk, unreadable
            chunk, unreadable = [], []
    if chunk or unreadable:
        yield chunk, unreadable


def import_csv(
    ctx: Context,
    path: Path,
    *,
    actor_name: str,
    reject_path: Path | None = None,
    batch_size: int = 2000,
    workers: int = 1,
    progress: Callable[[int], object] = lambda _: None,
    who: str = "system",
) -> ImportSummary:
    """Import `path` for an actor; lines that fail go to `reject_path` with line and reason.

    With workers > 0, parsing and validation run in that many processes while this one
    writes to the database; memory stays bounded by a few batches in flight. A database
    failure raises ImportInterrupted, saying how far it got. Audited (who ran it, for which
    actor, which file, what came of it), so that contacts an operator imports in an actor's
    name, a later do_not_survey among them, cannot pass for the actor's own.
    """
    summary = ImportSummary()
    reject_path = reject_path or path.with_name(path.stem + ".rejects.csv")
    # Bytes that are not UTF-8 become lone surrogates: their line is rejected, and the reject
    # file gets them back as they were.
    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        records = CsvRecords(_counted(handle, progress))
        fields = records.header()
        _check_header(fields)
        with _Rejects(reject_path, fields) as rejects:
            try:
                _import_records(ctx, records, actor_name, summary, rejects, batch_size, workers)
            except (OperationalError, InterfaceError) as exc:
                raise ImportInterrupted(summary, rejects.pending_from, exc) from exc
            finally:
                summary.rejected = rejects.count
                summary.reject_file = reject_path if rejects.count else None
                try:
                    _audit_import(ctx, who, actor_name, path, summary)
                except (OperationalError, InterfaceError):
                    # The database is gone (the import says so): the entry cannot be written.
                    log.warning("the import of %s could not be audited", path.name)
    return summary


def _audit_import(
    ctx: Context, who: str, actor_name: str, path: Path, summary: ImportSummary
) -> None:
    with ctx.session() as session:
        audit(
            session,
            who=who,
            action="contacts.import",
            subject=actor_name,
            file=path.name,
            imported=summary.imported,
            duplicates=summary.duplicates,
            rejected=summary.rejected,
        )
        session.commit()


def _import_records(
    ctx: Context,
    records: CsvRecords,
    actor_name: str,
    summary: ImportSummary,
    rejects: _Rejects,
    batch_size: int,
    workers: int,
) -> None:
    with ctx.session() as session:
        actor_id = get_actor(session, name=actor_name).id
    assert actor_id is not None
    language = ctx.settings.default_language
    chunks = _chunks(records, batch_size)
    if workers > 0:
        results = _validated_in_workers(chunks, workers, actor_id, ctx, language)
    else:
        key = ctx.settings.identifier_key
        results = (
            (validate_lines(c, actor_id, ctx.now(), language, key), unreadable)
            for c, unreadable in chunks
        )
    for (rows, rejected), unreadable in results:
        found = [(r.line, r.reason, r.cells) for r in unreadable]
        found += [(number, reason, list(line.values())) for number, line, reason in rejected]
        for number, reason, cells in sorted(found, key=lambda r: r[0]):
            rejects.add(number, reason, cells)
        if rows:
            rejects.pending_from = rows[0][0]
            _store(ctx, rows, summary, rejects)
            rejects.pending_from = None


def _validated_in_workers(
    chunks: Iterator[tuple[list[Line], list[LineReject]]],
    workers: int,
    actor_id: int,
    ctx: Context,
    language: str,
) -> Iterator[tuple[Validated, list[LineReject]]]:
    in_flight: deque[tuple[Future[Validated], list[LineReject]]] = deque()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        for chunk, unreadable in chunks:
            future = pool.submit(
                validate_lines, chunk, actor_id, ctx.now(), language, ctx.settings.identifier_key
            )
            in_flight.append((future, unreadable))
            if len(in_flight) > 2 * workers:
                future, unreadable = in_flight.popleft()
                yield future.result(), unreadable
        while in_flight:
            future, unreadable = in_flight.popleft()
            yield future.result(), unreadable


def _store(
    ctx: Context,
    batch: list[tuple[int, dict[str, Any]]],
    summary: ImportSummary,
    rejects: _Rejects,
) -> None:
    with ctx.session() as session:
        result = ingest_rows(session, [row for _, row in batch], now=ctx.now())
        session.commit()
    summary.imported += result.accepted
    summary.duplicates += result.duplicates
    for conflict in result.conflicts:
        line_num, row = batch[conflict.index]
        cells = [str(row.get(f) or "") for f in rejects.fields]
        rejects.add(line_num, conflict.errors[0].message, cells)


class _Rejects:
    """The reject file, written only when there is something to reject."""

    def __init__(self, path: Path, fields: Sequence[str]) -> None:
        self.path, self.fields, self.count = path, list(fields), 0
        self.pending_from: int | None = None  # the first line of a batch being stored
        self._handle: TextIO | None = None
        self._writer: Any = None

    def __enter__(self) -> _Rejects:
        return self

    def add(self, line_num: int, reason: str, cells: Sequence[str]) -> None:
        """One rejected line: its number, why, and its values (or its text, if unreadable)."""
        if self._writer is None:
            # Bytes that were not UTF-8 go back as they came (see import_csv).
            self._handle = self.path.open(
                "w", newline="", encoding="utf-8", errors="surrogateescape"
            )
            self._writer = csv.writer(self._handle)
            self._writer.writerow(["line", "reason", *self.fields])
        self._writer.writerow([line_num, reason, *cells])
        self.count += 1

    def __exit__(self, *_: object) -> None:
        if self._handle is not None:
            self._handle.close()
