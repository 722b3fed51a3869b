"""`survey contacts import FILE.csv --actor NAME`."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from survey.context import Context
from survey.intake.csv_import import COLUMNS
from survey.models import AuditLog, Case, Contact
from tests.factories import make_actor

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "contacts.csv"


def write_csv(path: Path, rows: list[dict[str, str]], columns=COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def line(n: int, **changes: str) -> dict[str, str]:
    row = {c: "" for c in COLUMNS}
    row.update(
        external_id=f"e{n}",
        case_ref=f"C{n}",
        channel="phone",
        closed_at="2026-11-20T10:00:00+01:00",
        customer_phone="0701234567",
        customer_language="sv",
    )
    row.update(changes)
    return row


def contacts(ctx: Context) -> int:
    with ctx.session() as session:
        return session.scalar(select(func.count()).select_from(Contact)) or 0


def test_imports_the_example_file_and_a_rerun_is_idempotent(runner, ctx: Context) -> None:
    assert runner("actors", "create", "in-house").exit_code == 0
    first = runner("contacts", "import", str(EXAMPLE), "--actor", "in-house", "--quiet")
    assert first.exit_code == 0, first.output
    assert "imported 10, duplicates 0, rejected 0" in first.output
    again = runner("contacts", "import", str(EXAMPLE), "--actor", "in-house", "--quiet")
    assert "imported 0, duplicates 10, rejected 0" in again.output
    assert contacts(ctx) == 10
    with ctx.session() as session:
        case = session.get(Case, "ARENDE-1002")
        assert case is not None and case.contact_count == 2
        flagged = session.scalars(
            select(col(Contact.external_id)).where(col(Contact.do_not_survey))
        ).all()
    assert flagged == ["ex-1005"]


def test_bad_lines_go_to_the_reject_file_with_line_and_reason(runner, ctx, tmp_path) -> None:
    runner("actors", "create", "in-house")
    source = write_csv(
        tmp_path / "in.csv",
        [
            line(1),
            line(2, channel="fax"),
            line(3, complaint="perhaps"),
            line(4, closed_at="2026-11-20 10:00"),
            line(5),
        ],
    )
    result = runner(
        "contacts", "import", str(source), "--actor", "in-house", "--quiet", "--batch-size", "2"
    )
    assert "imported 2, duplicates 0, rejected 3" in result.output
    with (tmp_path / "in.rejects.csv").open(encoding="utf-8") as handle:
        rejected = list(csv.DictReader(handle))
    assert [r["line"] for r in rejected] == ["3", "4", "5"]
    assert rejected[0]["reason"].startswith("channel:")
    assert rejected[1]["reason"].startswith("complaint:")
    assert "closed_at" in rejected[2]["reason"]
    assert contacts(ctx) == 2


def test_a_changed_line_on_rerun_is_rejected_as_a_conflict(runner, ctx, tmp_path) -> None:
    runner("actors", "create", "in-house")
    runner(
        "contacts",
        "import",
        str(write_csv(tmp_path / "a.csv", [line(1)])),
        "--actor",
        "in-house",
        "--quiet",
    )
    changed = write_csv(tmp_path / "b.csv", [line(1, team="other"), line(2)])
    result = runner("contacts", "import", str(changed), "--actor", "in-house", "--quiet")
    assert "imported 1, duplicates 0, rejected 1" in result.output
    rejected = (tmp_path / "b.rejects.csv").read_text(encoding="utf-8")
    assert "exists already with other content" in rejected


def test_unknown_columns_refuse_the_file(runner, ctx, tmp_path) -> None:
    runner("actors", "create", "in-house")
    source = write_csv(
        tmp_path / "x.csv", [{**line(1), "send_now": "1"}], columns=[*COLUMNS, "send_now"]
    )
    result = runner("contacts", "import", str(source), "--actor", "in-house", "--quiet")
    assert result.exit_code != 0
    assert "unknown column(s): send_now" in result.output
    assert contacts(ctx) == 0


def test_an_unknown_actor_is_named(runner, ctx) -> None:
    result = runner("contacts", "import", str(EXAMPLE), "--actor", "nobody", "--quiet")
    assert result.exit_code != 0
    assert "no actor named 'nobody'" in result.output


def test_an_import_is_audited_with_who_ran_it(ctx: Context, runner: Any, tmp_path: Path) -> None:
    """Contacts an operator imports in an actor's name must not pass for the actor's own."""
    with ctx.session() as session:
        make_actor(session, "north")
    path = tmp_path / "contacts.csv"
    path.write_text(
        "external_id,case_ref,channel,closed_at,customer_phone\n"
        "e1,C-1,phone,2026-03-10T10:00:00+01:00,+46701234567\n",
        encoding="utf-8",
    )
    result = runner("contacts", "import", str(path), "--actor", "north", "--quiet")
    assert result.exit_code == 0, result.output
    with ctx.session() as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "contacts.import")).one()
    assert entry.who.startswith("cli:") and entry.subject == "north"
    assert entry.details == {"file": "contacts.csv", "imported": 1, "duplicates": 0, "rejected": 0}
