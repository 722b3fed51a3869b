from __future__ import annotations

import xml.etree.ElementTree as ET

from survey.reporting.charts import Point, bar_chart, trend_chart

NS = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _no_script_or_style(root: ET.Element) -> None:
    for element in root.iter():
        assert "style" not in element.attrib
        assert not element.tag.endswith("script")
        assert not any(name.startswith("on") for name in element.attrib)


def test_trend_chart_draws_a_band_a_line_and_a_dot_per_value() -> None:
    points = [
        Point("W10", 0.8, 0.7, 0.9),
        Point("W11", 0.6, 0.5, 0.7),
        Point("W12", 0.9, 0.85, 0.95),
    ]
    root = _parse(trend_chart("CSAT by week", points))
    _no_script_or_style(root)
    assert root.find(f"{NS}title").text == "CSAT by week"  # type: ignore[union-attr]
    assert root.attrib["role"] == "img"
    assert len(root.findall(f"{NS}polygon")) == 1
    assert len(root.findall(f"{NS}polyline")) == 1
    dots = root.findall(f"{NS}circle")
    assert len(dots) == 3
    # A higher value is drawn higher up (smaller y).
    ys = [float(d.attrib["cy"]) for d in dots]
    assert ys[2] < ys[0] < ys[1]


def test_a_missing_value_breaks_the_line() -> None:
    points = [Point("a", 0.5), Point("b", 0.6), Point("c", None), Point("d", 0.7), Point("e", 0.8)]
    root = _parse(trend_chart("t", points))
    assert len(root.findall(f"{NS}polyline")) == 2
    assert len(root.findall(f"{NS}circle")) == 4


def test_labels_are_escaped() -> None:
    svg = bar_chart("<b>", [("<script>alert(1)</script>", 3.0), ("team & co", None)])
    root = _parse(svg)
    _no_script_or_style(root)
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "<script>alert(1)</script>" in texts and "team & co" in texts
    assert "<script>" not in str(svg)


def test_bars_scale_to_the_largest_value_and_hidden_groups_draw_no_bar() -> None:
    root = _parse(bar_chart("n", [("1", 10.0), ("2", 5.0), ("3", None)]))
    widths = [float(r.attrib["width"]) for r in root.iter(f"{NS}rect")]
    assert len(widths) == 2
    assert widths[0] == 2 * widths[1]


def test_an_empty_chart_is_still_valid_svg() -> None:
    _parse(trend_chart("nothing", []))
    _parse(bar_chart("nothing", []))
