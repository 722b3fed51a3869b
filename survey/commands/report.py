"""`survey report`: the satisfaction report (or the raw answers) as JSON, CSV or XLSX."""

from __future__ import annotations

import json
import sys

import click

from survey.commands import Context, with_context
from survey.commands.admin import cli_who
from survey.questionnaire import PACKAGE_DIR, load_questionnaires
from survey.reporting import exports as export
from survey.reporting.kpi import contact_kpis
from survey.reporting.measures import measures_of
from survey.reporting.report import (
    GROUP_KEYS,
    InvalidReportRequest,
    ReportRequest,
    satisfaction_report,
)
from survey.reporting.xlsx import WorkbookInfo, workbook


@click.command()
@click.option("--from", "start", required=True, help="First day (YYYY-MM-DD), Europe/Stockholm.")
@click.option("--to", "end", required=True, help="Day after the last (exclusive).")
@click.option("--group-by", "group_by", multiple=True, type=click.Choice(GROUP_KEYS))
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx"]), default="json")
@click.option(
    "--semicolon", is_flag=True, help="CSV with semicolons and decimal commas (Excel sv)."
)
@click.option("--raw", is_flag=True, help="The raw answers, one row per survey (CSV).")
@click.option("--with-comments", is_flag=True, help="With --raw: include the free-text comments.")
@click.option("--kpi", is_flag=True, help="The Bilaga 2 contact-stream KPIs instead (JSON).")
@click.option(
    "--lang",
    type=click.Choice(["sv", "en"]),
    default="sv",
    show_default=True,
    help="Language of the XLSX column names and title sheet.",
)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None)
@with_context
def report(
    ctx: Context,
    start: str,
    end: str,
    group_by: tuple[str, ...],
    fmt: str,
    semicolon: bool,
    raw: bool,
    with_comments: bool,
    kpi: bool,
    lang: str,
    output: str | None,
) -> None:
    """The satisfaction report for a period, grouped by any of the keys."""
    try:
        request = ReportRequest.parse(
            start, end, group_by, agent_reporting=ctx.settings.agent_reporting
        )
    except InvalidReportRequest as exc:
        raise click.BadParameter(str(exc)) from None
    if kpi and fmt != "json":
        raise click.BadParameter("--kpi exports JSON only", param_hint="--format")
    if raw and fmt != "csv":
        raise click.BadParameter("--raw exports CSV only", param_hint="--format")
    if fmt == "xlsx" and output is None:
        raise click.BadParameter("XLSX is binary: give --output FILE", param_hint="--output")
    min_size = ctx.settings.min_group_size
    with ctx.session() as session:
        content: str | bytes
        if kpi:
            data = contact_kpis(session, request, min_group_size=min_size)
            content = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        elif raw:
            content = export.export_raw_answers(
                session,
                who=cli_who(),
                start=request.start,
                end=request.end,
                with_comments=with_comments,
                with_agent=ctx.settings.agent_reporting,
                semicolon=semicolon,
            )
        elif fmt == "xlsx":
            info = WorkbookInfo(
                organisation=ctx.settings.organisation_name,
                min_group_size=min_size,
                language=lang,
                generated_at=ctx.now(),
            )
            content = workbook(session, request, min_group_size=min_size, info=info)
        else:
            questionnaires = load_questionnaires(
                [PACKAGE_DIR, ctx.settings.instance_path / "questionnaires"]
            )
            measures = measures_of(questionnaires.values())
            data = satisfaction_report(session, request, min_group_size=min_size, measures=measures)
            content = (
                json.dumps(data, ensure_ascii=False, indent=2) + "\n"
                if fmt == "json"
                else export.report_csv(data, semicolon=semicolon)
            )
    _write(content, output)


def _write(content: str | bytes, output: str | None) -> None:
    if output is None:
        assert isinstance(content, str)
        sys.stdout.write(content)
        return
    mode = "wb" if isinstance(content, bytes) else "w"
    encoding = None if isinstance(content, bytes) else "utf-8"
    with open(output, mode, encoding=encoding, newline="" if encoding else None) as fh:
        fh.write(content)
    click.echo(f"wrote {output}", err=True)
