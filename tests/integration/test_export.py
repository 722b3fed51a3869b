"""Exports: the CLI in every format, the API, CSV injection escaping (XLSX: test_xlsx)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from survey.context import Context
from survey.models import AuditLog
from survey.reporting.exports import escape_cell, raw_answers_columns
from tests.factories import (
    make_organisation_key,
    make_response,
    make_survey,
    seed_report_data,
    utc,
)

PERIOD = ("--from", "2026-03-01", "--to", "2026-05-01")


def _seed(ctx: Context) -> None:
    with ctx.session() as session:
        seed_report_data(ctx, session, surveys=60)


def test_cli_json_is_the_report_of_the_spec(ctx: Context, runner: Any) -> None:
    _seed(ctx)
    result = runner("report", *PERIOD, "--group-by", "team", "--group-by", "week")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["group_by"] == ["team", "week"]
    assert set(report) == {"from", "to", "group_by", "groups", "total", "disclosures"}
    assert set(report["groups"][0]) == {
        "key",
        "sent",
        "responses",
        "response_rate",
        "declined",
        "opted_out",
        "overall",
        "contact_experience",
        "case_handling",
        "resolution",
        "fcr",
        "funnel",
        "rates",
        "weighted",
    }
    assert sum(g["responses"] for g in report["groups"]) == report["total"]["responses"] > 0


def test_cli_csv_has_a_header_and_a_total_row(ctx: Context, runner: Any) -> None:
    _seed(ctx)
    result = runner("report", *PERIOD, "--group-by", "channel", "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0][:3] == ["channel", "sent", "responses"]
    assert rows[-1][0] == "total"
    assert {r[0] for r in rows[1:-1]} <= {"phone", "email", "chat"}


def test_semicolon_csv_opens_in_swedish_excel(ctx: Context, runner: Any, tmp_path: Path) -> None:
    _seed(ctx)
    out = tmp_path / "r.csv"
    runner("report", *PERIOD, "--format", "csv", "--semicolon", "--output", str(out))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, total = rows[0], rows[-1]
    mean = total[header.index("overall_mean")]
    assert "," in mean and "." not in mean
    assert float(mean.replace(",", ".")) > 0


def test_cells_that_look_like_formulas_are_escaped(
    ctx: Context, runner: Any, tmp_path: Path
) -> None:
    with ctx.session() as session:
        for _ in range(5):
            survey = make_survey(
                ctx, session, contact={"team": "=cmd|' /C calc'!A0", "closed_at": utc(2026, 3, 5)}
            )
            make_response(session, survey, overall=3)
    result = runner("report", *PERIOD, "--group-by", "team", "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[1][0] == "'=cmd|' /C calc'!A0"
    out = tmp_path / "r.xlsx"
    runner("report", *PERIOD, "--group-by", "team", "--format", "xlsx", "--output", str(out))
    cell = load_workbook(out)["Team"]["A2"]
    assert cell.data_type == "s" and cell.value == "'=cmd|' /C calc'!A0"
    for text in ("+1", "-1", "@SUM(A1)", "=1"):
        assert escape_cell(text) == "'" + text
    assert escape_cell("team-a") == "team-a" and escape_cell(-1) == -1


def test_raw_answers_have_no_contact_details_and_no_times(ctx: Context, runner: Any) -> None:
    with ctx.session() as session:
        survey = make_survey(
            ctx,
            session,
            contact={"closed_at": utc(2026, 3, 5, 23, 30), "customer_email": "a@example.se"},
        )
        make_response(session, survey, overall=5, comment='=HYPERLINK("x")')
    plain = runner("report", *PERIOD, "--format", "csv", "--raw").output
    rows = list(csv.reader(io.StringIO(plain)))
    assert rows[0] == raw_answers_columns(False)
    assert rows[1][1] == "2026-03-06"  # the Stockholm date of 23:30 UTC
    assert "+46701234567" not in plain and "a@example.se" not in plain and ":" not in plain
    with_comments = runner("report", *PERIOD, "--format", "csv", "--raw", "--with-comments")
    rows = list(csv.reader(io.StringIO(with_comments.output)))
    assert rows[0][-1] == "comment" and rows[1][-1] == '\'=HYPERLINK("x")'
    with ctx.session() as session:  # each download, on the command line too, is audited
        entries = session.scalars(select(AuditLog).where(AuditLog.action == "export.raw_answers"))
        assert [e.details["comments"] for e in entries] == [False, True]


def test_api_returns_the_report_to_a_valid_key(ctx: Context, client: FlaskClient) -> None:
    _seed(ctx)
    key = make_organisation_key(ctx, "crm", "reports")
    url = "/api/v1/reports/satisfaction?from=2026-03-01&to=2026-05-01&group_by=team,month"
    assert client.get(url).status_code == 401
    answer = client.get(url, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["group_by"] == ["team", "month"]
    assert body["total"]["responses"] == sum(g["responses"] for g in body["groups"]) > 0
    bad = client.get(
        "/api/v1/reports/satisfaction?from=2026-03-01&to=2026-05-01&group_by=phone",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert bad.status_code == 400
    assert bad.mimetype == "application/problem+json"
    assert "phone" in bad.get_json()["detail"]


def test_api_returns_the_contact_kpis(ctx: Context, client: FlaskClient) -> None:
    _seed(ctx)
    key = make_organisation_key(ctx, "crm", "reports")
    url = "/api/v1/reports/kpi?from=2026-03-01&to=2026-05-01&group_by=month"
    assert client.get(url).status_code == 401
    answer = client.get(url, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200
    body = answer.get_json()
    with ctx.session() as session:
        from survey.reporting.kpi import contact_kpis
        from survey.reporting.report import ReportRequest

        expected = contact_kpis(
            session,
            ReportRequest.parse("2026-03-01", "2026-05-01", ["month"]),
            min_group_size=ctx.settings.min_group_size,
        )
    assert body == json.loads(json.dumps(expected))
    assert [g["key"] for g in body["groups"]] == [{"month": "2026-03"}, {"month": "2026-04"}]
    document = client.get("/api/v1/openapi.json").get_json()
    assert "get" in document["paths"]["/api/v1/reports/kpi"]
