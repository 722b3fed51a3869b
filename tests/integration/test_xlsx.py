"""The XLSX report a manager opens and reads: title sheet, human column names in the report's
language, rounded values and percent formats, suppressed cells that say so, frozen headers,
only the grouping asked for, and a chart on each sheet grouped by time."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from survey.context import Context
from survey.reporting.report_table import report_columns
from survey.reporting.snapshot import snapshot_workbook, take_snapshots
from tests.factories import make_response, make_survey, utc
from tests.integration.admin_users import log_in_as

MARCH = ("--from", "2026-03-01", "--to", "2026-04-01")
BIG = [5, 4, 4, 3, 5, 2, 4]  # mean 27/7 = 3.857..., CSAT 5/7 = 0.714...


def _team(ctx: Context, team: str, scores: list[int | None], day: int = 10) -> None:
    with ctx.session() as session:
        for score in scores:
            survey = make_survey(
                ctx,
                session,
                delivery_status="delivered",
                contact={"team": team, "closed_at": utc(2026, 3, day, 10)},
            )
            if score is not None:
                make_response(session, survey, overall=score, fcr="yes")


def _seed_teams(ctx: Context) -> None:
    """big shows its scores; small (2 answers) is hidden, and mid with it (complementary);
    silent has surveys but no answers: no data, not hidden."""
    _team(ctx, "big", BIG)
    _team(ctx, "mid", [4] * 6)
    _team(ctx, "small", [5, 1])
    _team(ctx, "silent", [None] * 3)


def _export(runner: Any, tmp_path: Path, *args: str) -> Any:
    out = tmp_path / "r.xlsx"
    result = runner("report", *MARCH, *args, "--format", "xlsx", "--output", str(out))
    assert result.exit_code == 0, result.output
    return load_workbook(out)


def _rows(sheet: Worksheet) -> dict[Any, dict[str, Any]]:
    """Each row by its first cell, as {header: cell}."""
    header = [c.value for c in sheet[1]]
    return {
        row[0].value: {h: cell for h, cell in zip(header, row, strict=False) if h}
        for row in sheet.iter_rows(min_row=2)
        if row[0].value is not None
    }


def test_a_workbook_has_a_title_sheet_and_only_the_grouping_asked_for(
    ctx: Context, runner: Any, tmp_path: Path
) -> None:
    _seed_teams(ctx)
    book = _export(runner, tmp_path, "--group-by", "team")
    assert book.sheetnames == ["Om rapporten", "Team", "Redovisning"]
    title = {row[0]: row[1] for row in book["Om rapporten"].iter_rows(values_only=True) if row}
    assert title["Organisation"] == ctx.settings.organisation_name
    assert title["Period"] == "2026-03-01 \N{EN DASH} 2026-03-31"
    assert title["Flikar"] == "Team"
    assert title["Skapad"].endswith("(Europe/Stockholm)")
    assert title["Minsta gruppstorlek"] == "5 svar"
    assert "dold (< 5 svar)" in title
    # The policy in force: a header row, then the version in force (the initial one, recorded
    # after March: the period follows it) with its sampling rate.
    rows = [row for row in book["Om rapporten"].iter_rows(values_only=True) if row]
    header = next(i for i, row in enumerate(rows) if row[1] == "Urvalsandel")
    assert rows[header + 1][1] == ctx.settings.sampling_rate


def test_a_workbook_of_the_total_has_one_row_named_by_its_period(
    ctx: Context, runner: Any, tmp_path: Path
) -> None:
    _seed_teams(ctx)
    sheet = _export(runner, tmp_path)["Totalt"]
    assert sheet.max_row == 2 and sheet["A1"].value == "Period"
    assert sheet["A2"].value == "2026-03-01 \N{EN DASH} 2026-03-31" and sheet["C2"].value == 15


def test_columns_have_human_names_and_values_are_rounded_and_formatted(
    ctx: Context, runner: Any, tmp_path: Path
) -> None:
    _seed_teams(ctx)
    sheet = _export(runner, tmp_path, "--group-by", "team")["Team"]
    header = [c.value for c in sheet[1]]
    machine_names = set(report_columns({"group_by": ["team"]}))
    assert not machine_names & set(header) - {"Team"}
    assert header[:4] == ["Team", "Skickade", "Svar", "Svarsfrekvens"]
    big = _rows(sheet)["big"]
    mean, csat = big["Medelbetyg (1\N{EN DASH}5)"], big["Kundnöjdhet (4 eller 5)"]
    assert mean.value == 3.86 and mean.number_format == "0.00"
    assert csat.value == 0.714 and csat.number_format == "0.0 %"
    assert big["Svar"].value == 7 and big["Svar"].number_format == "0"
    assert big["Löst vid första kontakt (enligt kunden)"].value == 1
    assert _rows(sheet)["Totalt"]["Svar"].value == 7 + 6 + 2


def test_a_suppressed_score_says_hidden_and_no_data_stays_empty(
    ctx: Context, runner: Any, tmp_path: Path
) -> None:
    _seed_teams(ctx)
    rows = _rows(_export(runner, tmp_path, "--group-by", "team")["Team"])
    mean = "Medelbetyg (1\N{EN DASH}5)"
    assert rows["small"][mean].value == "dold (< 5 svar)"
    assert rows["mid"][mean].value == "dold (< 5 svar)"  # else small = total - big - mid
    assert rows["small"]["Svar"].value == 2  # counts are shown
    assert rows["silent"][mean].value is None and rows["silent"]["Svar"].value == 0
    english = _rows(_export(runner, tmp_path, "--group-by", "team", "--lang", "en")["Team"])
    assert english["small"]["Overall mean (1\N{EN DASH}5)"].value == "hidden (< 5 answers)"
    assert english["silent"]["Overall mean (1\N{EN DASH}5)"].value is None


def test_headers_are_frozen_and_a_time_sheet_has_its_trend_charts(
    ctx: Context, runner: Any, tmp_path: Path
) -> None:
    _team(ctx, "big", BIG, day=3)
    _team(ctx, "big", BIG, day=10)
    _team(ctx, "mid", [4] * 6, day=10)
    by_team = _export(runner, tmp_path, "--group-by", "team")
    assert by_team["Team"].freeze_panes == "B2" and by_team["Team"]._charts == []
    book = _export(runner, tmp_path, "--group-by", "team", "--group-by", "week")
    assert book.sheetnames == ["Om rapporten", "Team + Vecka", "Redovisning"]
    sheet = book["Team + Vecka"]
    assert sheet.freeze_panes == "C2"
    assert len(sheet._charts) == 2  # the overall mean and CSAT, one line per team
    assert [len(chart.series) for chart in sheet._charts] == [2, 2]
    weekly = _export(runner, tmp_path, "--group-by", "week")["Vecka"]
    assert [len(chart.series) for chart in weekly._charts] == [1, 1]


def test_an_admin_download_speaks_the_admin_language(ctx: Context, client: FlaskClient) -> None:
    _seed_teams(ctx)
    log_in_as(ctx, client, "analyst", language="sv")
    query = {"from": "2026-03-01", "to": "2026-04-01", "group_by": "team", "format": "xlsx"}
    swedish = load_workbook(
        io.BytesIO(client.get("/admin/reports/download", query_string=query).data)
    )
    assert swedish.sheetnames[0] == "Om rapporten"
    english = client.get("/admin/reports/download", query_string={**query, "lang": "en"})
    book = load_workbook(io.BytesIO(english.data))
    assert book.sheetnames == ["About the report", "Team", "Disclosures"]
    assert _rows(book["Team"])["small"]["Overall mean (1\N{EN DASH}5)"].value == (
        "hidden (< 5 answers)"
    )


def test_a_snapshot_workbook_names_its_month_and_kind(ctx: Context) -> None:
    _seed_teams(ctx)
    with ctx.session() as session:
        made = take_snapshots(session, ctx.settings, now=utc(2026, 4, 2, 6))
        book = load_workbook(io.BytesIO(snapshot_workbook(made[0], ctx.settings)))
    assert book["Om rapporten"]["A1"].value == "Rapport om kundnöjdhet: 2026-03 (preliminär)"
    assert {"Totalt", "Vecka", "Dag", "Kanal", "Team"} <= set(book.sheetnames)
    assert len(book["Vecka"]._charts) == 2 and book["Kanal"]._charts == []
