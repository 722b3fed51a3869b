"""Reading a CSV of contacts: one contact per physical line, and a line that cannot be read
becomes a reject with its number and reason, never an exception.

A value cannot span lines: a quote left open would otherwise swallow the lines after it into
one bad record. The line with the open quote is rejected and the lines after it are read again
on their own, so that each is judged (and counted) by itself.
"""

from __future__ import annotations

import csv
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Bytes that are not UTF-8 are read as lone surrogates (errors="surrogateescape").
_UNDECODABLE = re.compile("[\udc80-\udcff]")
# How much of an unreadable line its reject shows.
SHOWN = 1000


class CsvFormatError(Exception):
    """The file cannot be imported at all (e.g. a missing or unknown column)."""


@dataclass(frozen=True)
class LineReject:
    """A line that is not a record: its number, why, and its values (or its text) as read."""

    line: int
    reason: str
    cells: list[str]


Record = tuple[int, dict[str, str]]


class _Lines:
    """Physical lines for csv.reader, remembering those the current record took, with lines
    to read again first."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.again: deque[str] = deque()
        self.taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.again.popleft() if self.again else next(self._lines)
        self.taken.append(line)
        return line

    def take(self) -> list[str]:
        taken, self.taken = self.taken, []
        return taken


class CsvRecords:
    """The header, then each line as a record by column name or as a LineReject."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = _Lines(lines)
        self._reader = csv.reader(self._lines)
        self._last = 0  # the number of the last line read
        self.fields: list[str] = []

    def header(self) -> list[str]:
        found = next(self._read(), None)
        if found is None:
            raise CsvFormatError("the file is empty or has no header row")
        if isinstance(found, LineReject):
            raise CsvFormatError(f"the header row cannot be read: {found.reason}")
        self.fields = [name.strip() for name in found[1]]
        if any(_UNDECODABLE.search(name) for name in self.fields):
            raise CsvFormatError("the header row is not valid UTF-8")
        return self.fields

    def __iter__(self) -> Iterator[Record | LineReject]:
        for found in self._read():
            if isinstance(found, LineReject):
                yield found
            else:
                yield self._checked(*found)

    def _read(self) -> Iterator[tuple[int, list[str]] | LineReject]:
        while True:
            reason = None
            try:
                values = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                reason = _csv_reason(exc)
            taken = self._lines.take()
            number = self._last + 1
            self._last += len(taken)
            if reason is None and len(taken) > 1:
                reason = (
                    f"a quoted value opened on this line is not closed on it; the "
                    f"{len(taken) - 1} line(s) after it were read again on their own"
                )
            if reason is not None:
                # The lines after the first are read again, each by itself.
                self._lines.again.extendleft(reversed(taken[1:]))
                self._last = number
                yield LineReject(number, reason, [_shown(taken[0])] if taken else [])
            elif values:  # a blank line is no record
                yield number, values

    def _checked(self, number: int, values: list[str]) -> Record | LineReject:
        if len(values) != len(self.fields):
            reason = f"{len(values)} values where the header names {len(self.fields)} columns"
            return LineReject(number, reason, values)
        for name, value in zip(self.fields, values, strict=True):
            if _UNDECODABLE.search(value):
                return LineReject(number, f"{name}: not valid UTF-8", values)
        return number, dict(zip(self.fields, values, strict=True))


def _shown(text: str) -> str:
    """The line for the reject file, cut short so that the reject file itself stays readable."""
    text = text.rstrip("\r\n")
    if len(text) <= SHOWN:
        return text
    return f"{text[:SHOWN]}[... {len(text) - SHOWN} more characters]"


def _csv_reason(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return f"a value is longer than {csv.field_size_limit()} characters"
    return f"not readable as CSV: {exc}"
