"""The trend charts of an XLSX sheet grouped by time: the overall mean and CSAT per period.

The charts read a small table of their own beside the figures: periods down, one series per
group of the other keys (or one series when time is the only key), a suppressed or missing
score left blank so that the line has a gap rather than a fall to zero.
"""

from __future__ import annotations

from typing import Any

from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from survey.reporting.exports import escape_cell
from survey.reporting.grouping import TIME_KEYS
from survey.reporting.xlsx_labels import KEY_LABELS, MEAN, N_, PERCENT, translate

FIGURES = (
    (("overall", "mean"), MEAN, N_("Overall mean (1\N{EN DASH}5)"), (1.0, 5.0)),
    (("overall", "csat"), PERCENT, N_("CSAT (4 or 5)"), (0.0, 1.0)),
)
CHART_ROWS = 16  # rows of sheet a chart covers


def add_trend_charts(
    sheet: Worksheet, report: dict[str, Any], language: str, *, first_column: int
) -> None:
    """A line chart each for the overall mean and CSAT (their scales differ)."""
    keys = report["group_by"]
    time_key = next(key for key in keys if key in TIME_KEYS)
    others = [key for key in keys if key != time_key]
    periods = sorted({str(g["key"][time_key]) for g in report["groups"]})
    series = sorted({_series_name(g, others) for g in report["groups"]}) if others else [""]
    table: dict[tuple[str, str], dict[str, Any]] = {
        (str(g["key"][time_key]), _series_name(g, others) if others else ""): g
        for g in report["groups"]
    }
    time_label = translate(KEY_LABELS[time_key], language)
    top = 1
    for path, fmt, title, (low, high) in FIGURES:
        name = translate(title, language)
        header = [time_label, *(escape_cell(s) if s else name for s in series)]
        for index, text in enumerate(header):
            sheet.cell(row=top, column=first_column + index, value=text).font = Font(bold=True)
        for offset, period in enumerate(periods, start=1):
            sheet.cell(row=top + offset, column=first_column, value=period)
            for index, serie in enumerate(series, start=1):
                value = _figure(table.get((period, serie)), path)
                if value is not None:
                    cell = sheet.cell(row=top + offset, column=first_column + index)
                    cell.value = round(value, 3)
                    cell.number_format = fmt
        chart = LineChart()
        chart.title = f"{name} \N{EN DASH} {time_label}"
        chart.x_axis.title = time_label
        chart.y_axis.number_format = fmt
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = low, high
        chart.add_data(
            Reference(
                sheet,
                min_col=first_column + 1,
                max_col=first_column + len(series),
                min_row=top,
                max_row=top + len(periods),
            ),
            titles_from_data=True,
        )
        chart.set_categories(
            Reference(sheet, min_col=first_column, min_row=top + 1, max_row=top + len(periods))
        )
        chart.width, chart.height = 18, 8
        anchor = get_column_letter(first_column + len(series) + 2)
        sheet.add_chart(chart, f"{anchor}{top}")
        top += max(len(periods) + 3, CHART_ROWS + 1)


def _series_name(group: dict[str, Any], others: list[str]) -> str:
    return " / ".join(
        "\N{EN DASH}" if group["key"][k] is None else str(group["key"][k]) for k in others
    )


def _figure(group: dict[str, Any] | None, path: tuple[str, str]) -> Any:
    if group is None:
        return None
    return group[path[0]][path[1]]
