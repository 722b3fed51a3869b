"""The XLSX report's words: every one is in both catalogues, Swedish written out."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from survey.reporting.report_table import report_columns
from survey.reporting.xlsx_labels import column_label, number_format, rounded

ROOT = Path(__file__).resolve().parents[2]
MODULES = ["xlsx.py", "xlsx_charts.py", "xlsx_labels.py", "snapshot.py"]


def test_every_workbook_text_is_translated() -> None:
    texts = {
        message
        for name in MODULES
        for _, message, _, _ in extract_from_file("python", ROOT / "survey/reporting" / name)
    }
    assert len(texts) > 60
    for language in ("sv", "en"):
        path = ROOT / "survey/translations" / language / "LC_MESSAGES/messages.po"
        with path.open("rb") as fh:
            catalogue = read_po(fh, locale=language)
        assert sorted(t for t in texts if t not in catalogue) == [], language
        if language == "sv":
            assert sorted(t for t in texts if not catalogue[t].string) == []


def test_every_report_column_has_a_human_name_in_both_languages() -> None:
    columns = report_columns({"group_by": ["day", "actor", "agent", "case_type", "language"]})
    for language in ("sv", "en"):
        labels = [column_label(c, language) for c in columns]
        assert not set(labels) & set(columns) - {"Team"}, language
        assert len(set(labels)) == len(labels), language
    assert column_label("overall_mean_ci95_low", "sv") == "Medelbetyg, 95 % KI nedre"


def test_shares_are_percent_means_two_decimals_counts_whole() -> None:
    assert (number_format("csat"), rounded("csat", 0.71428)) == ("0.0 %", 0.714)
    assert (number_format("overall_mean"), rounded("overall_mean", 3.857142)) == ("0.00", 3.86)
    assert (number_format("fcr_n"), rounded("fcr_n", 7)) == ("0", 7)
    assert number_format("weighted_csat_ci95_low") == "0.0 %"
