"""`survey contacts import` on hostile files (issue 20): every malformed line is a reject with
its number and reason, and a database failure ends with a message saying how far it got."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from survey.context import Context
from survey.intake import csv_import
from survey.intake.csv_import import COLUMNS
from survey.models import Contact
from tests.integration.test_csv_import import line


def contacts(ctx: Context) -> int:
    with ctx.session() as session:
        return session.scalar(select(func.count()).select_from(Contact)) or 0


def csv_text(rows: list[dict[str, str]]) -> str:
    """The file's text, header first, one line per row (values quoted only where needed)."""
    out = [",".join(COLUMNS)]
    for row in rows:
        out.append(",".join(_cell(row[c]) for c in COLUMNS))
    return "\n".join(out) + "\n"


def _cell(value: str) -> str:
    return f'"{value}"' if "," in value else value


def run_import(runner, path: Path, *extra: str) -> Any:
    return runner(
        "contacts", "import", str(path), "--actor", "in-house", "--quiet", "--workers", "0", *extra
    )


def rejected(path: Path) -> list[dict[str, str]]:
    with path.with_name(path.stem + ".rejects.csv").open(
        encoding="utf-8", errors="surrogateescape", newline=""
    ) as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def actor(runner) -> None:
    assert runner("actors", "create", "in-house").exit_code == 0


def test_a_value_over_the_field_limit_is_a_reject(runner, ctx, actor, tmp_path) -> None:
    source = tmp_path / "long.csv"
    source.write_text(csv_text([line(1), line(2, agent="a" * 131_073), line(3)]), "utf-8")
    result = run_import(runner, source)
    assert result.exit_code == 0, result.output
    assert "imported 2, duplicates 0, rejected 1" in result.output
    [reject] = rejected(source)
    assert reject["line"] == "3"
    assert reject["reason"] == "a value is longer than 131072 characters"
    assert reject["external_id"].startswith("e2,C2,phone,")
    assert reject["external_id"].endswith(" more characters]")
    assert contacts(ctx) == 2


def test_a_nul_byte_is_a_reject_naming_the_column(runner, ctx, actor, tmp_path) -> None:
    source = tmp_path / "nul.csv"
    source.write_text(csv_text([line(1, team="te\x00am"), line(2)]), "utf-8")
    result = run_import(runner, source)
    assert "imported 1, duplicates 0, rejected 1" in result.output
    [reject] = rejected(source)
    assert reject["line"] == "2"
    assert reject["reason"].startswith("team: must not contain control characters (U+0000")
    assert contacts(ctx) == 1


def test_bytes_that_are_not_utf8_are_a_reject_and_kept_as_they_came(
    runner, ctx, actor, tmp_path
) -> None:
    source = tmp_path / "latin1.csv"
    text = csv_text([line(1), line(2, customer_ref="REFX"), line(3)])
    source.write_bytes(text.encode().replace(b"REFX", b"Sm\xf6rg\xe5s"))
    result = run_import(runner, source)
    assert result.exit_code == 0, result.output
    assert "imported 2, duplicates 0, rejected 1" in result.output
    [reject] = rejected(source)
    assert (reject["line"], reject["reason"]) == ("3", "customer_ref: not valid UTF-8")
    raw = source.with_name("latin1.rejects.csv").read_bytes()
    assert b"Sm\xf6rg\xe5s" in raw
    assert contacts(ctx) == 2


def test_an_unclosed_quote_rejects_its_line_and_the_lines_after_it_are_read_alone(
    runner, ctx, actor, tmp_path
) -> None:
    rows = [line(n) for n in range(1, 13)]
    text = csv_text(rows).replace(",C2,", ',"C2,', 1)  # line 3 opens a quote it never closes
    source = tmp_path / "quote.csv"
    source.write_text(text, "utf-8")
    result = run_import(runner, source)
    assert result.exit_code == 0, result.output
    assert "imported 11, duplicates 0, rejected 1" in result.output
    [reject] = rejected(source)
    assert reject["line"] == "3"
    assert "quoted value opened on this line is not closed" in reject["reason"]
    assert "the 10 line(s) after it were read again" in reject["reason"]
    assert contacts(ctx) == 11


def test_two_stray_quotes_are_two_rejects_not_one_record(runner, ctx, actor, tmp_path) -> None:
    rows = [line(n) for n in range(1, 13)]
    text = csv_text(rows).replace(",C2,", ',"C2,', 1).replace(",C7,", ',"C7,', 1)
    source = tmp_path / "quotes.csv"
    source.write_text(text, "utf-8")
    result = run_import(runner, source)
    # Line 3's quote would run on to line 8's: read as one record, "rejected 1".
    assert "imported 10, duplicates 0, rejected 2" in result.output
    assert [r["line"] for r in rejected(source)] == ["3", "8"]
    assert contacts(ctx) == 10


def test_a_line_with_too_few_or_too_many_values_is_a_reject(runner, ctx, actor, tmp_path) -> None:
    text = csv_text([line(1), line(2), line(3)]).splitlines()
    text[2] += ",extra"
    text[3] = text[3].rsplit(",", 2)[0]
    source = tmp_path / "width.csv"
    source.write_text("\n".join(text) + "\n", "utf-8")
    result = run_import(runner, source)
    assert "imported 1, duplicates 0, rejected 2" in result.output
    reasons = [(r["line"], r["reason"]) for r in rejected(source)]
    assert reasons == [
        ("3", "15 values where the header names 14 columns"),
        ("4", "12 values where the header names 14 columns"),
    ]


def test_a_database_failure_says_what_was_committed_and_a_rerun_resumes(
    runner, ctx, actor, tmp_path, monkeypatch
) -> None:
    source = tmp_path / "outage.csv"
    source.write_text(csv_text([line(n) for n in range(1, 6)]), "utf-8")
    real = csv_import.ingest_rows
    calls = {"n": 0}

    def failing_second_time(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)

    monkeypatch.setattr(csv_import, "ingest_rows", failing_second_time)
    result = run_import(runner, source, "--batch-size", "2")
    assert result.exit_code == 3
    assert "imported 2, duplicates 0, rejected 0" in result.output
    assert "2 contacts were committed before it, lines from 4 on not stored" in result.output
    assert "Run the same command again: it resumes" in result.output
    assert "Traceback" not in result.output
    assert contacts(ctx) == 2

    monkeypatch.setattr(csv_import, "ingest_rows", real)
    again = run_import(runner, source, "--batch-size", "2")
    assert again.exit_code == 0
    assert "imported 3, duplicates 2, rejected 0" in again.output
    assert contacts(ctx) == 5
