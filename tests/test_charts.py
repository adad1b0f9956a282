"""The admin dashboard's server-side SVG charts: what a reader of the chart sees, parsed back from the SVG."""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from markupsafe import Markup

from plugin.admin.charts import Bar, Series, bar_chart, line_chart, number_format, percent_format

SCRIPT = "<script>alert(1)</script>"


def parse(chart: Markup) -> BeautifulSoup:
    return BeautifulSoup(str(chart), "html.parser")


def days(count: int) -> list[str]:
    return [f"day {number}" for number in range(1, count + 1)]


def y_tick_values(soup: BeautifulSoup) -> list[float]:
    return [float(label.get_text()) for label in soup.select(".tsuide-chart__y-label")]


def bar_widths(soup: BeautifulSoup) -> dict[str, float]:
    return {rect["data-label"]: float(rect["width"]) for rect in soup.select("rect.tsuide-chart__bar")}


# Both charts --------------------------------------------------------------

@pytest.mark.parametrize("chart", [
    line_chart("Revenue <per day>", ["a", "b"], [Series("sales", (1.0, 2.0))]),
    bar_chart("Revenue <per day>", [Bar("A", 0.5)]),
    bar_chart("Revenue <per day>", []),
])
def test_a_chart_is_one_accessible_svg_that_scales(chart):
    svg = parse(chart).find("svg")

    assert isinstance(chart, Markup)
    assert svg["role"] == "img"
    assert svg["aria-label"] == "Revenue <per day>"
    assert svg.find("title", recursive=False).get_text() == "Revenue <per day>"
    assert svg["width"] == "100%"
    assert re.fullmatch(r"0 0 \d+ \d+", svg["viewbox"])
    assert "<per day>" not in str(chart)


def test_tiny_and_huge_values_give_no_exponents_and_one_decimal_at_most():
    charts = [
        line_chart("Tiny", ["a", "b", "c"], [Series("s", (0.00001, 0.00003, 0.00002))]),
        line_chart("Huge", ["a", "b"], [Series("s", (3e12, 1e12))]),
        bar_chart("Tiny", [Bar("a", 0.00001, 0.000005, 0.00002)]),
    ]
    for chart in charts:
        numbers = re.findall(r'(?:x|y|x1|y1|x2|y2|cx|cy|width|height|d)="([^"]*)"', str(chart))
        assert numbers
        assert not any(re.search(r"\de", number) for number in numbers)
        assert not any(re.search(r"\.\d\d", number) for number in numbers)


def test_default_format_trims_to_two_decimals_and_percent_format_to_one():
    assert [number_format(value) for value in (1200.0, 2.5, 0.125, 0.00001, -0.001)] == [
        "1200", "2.5", "0.12", "0", "0"]
    assert [percent_format(value) for value in (0.1234, 0.5, 0.0, 1.0)] == ["12.3%", "50%", "0%", "100%"]


# Line chart ---------------------------------------------------------------

def test_series_names_are_escaped_in_the_path_the_legend_and_the_tooltips():
    chart = line_chart("Sales", ["Mon", "Tue"], [Series(SCRIPT, (1.0, 2.0))])
    soup = parse(chart)

    assert soup.find("script") is None
    assert "<script>" not in str(chart)
    assert soup.select_one("path.tsuide-chart__line")["data-series"] == SCRIPT
    assert soup.select_one(".tsuide-chart__legend-item").get_text() == SCRIPT
    assert soup.select_one("circle title").get_text() == f"{SCRIPT}, Mon: 1"


def test_each_series_has_one_line_and_one_legend_entry_with_its_own_colour_class():
    series = [Series(name, (1.0, 2.0, 3.0)) for name in ("control", "variant A", "variant B")]
    soup = parse(line_chart("Conversions", ["a", "b", "c"], series))

    lines = soup.select("path.tsuide-chart__line")
    assert [line["data-series"] for line in lines] == ["control", "variant A", "variant B"]
    assert [line["class"][1] for line in lines] == [f"tsuide-chart__series-{n}" for n in range(3)]
    assert [entry.get_text() for entry in soup.select(".tsuide-chart__legend-item")] == [
        "control", "variant A", "variant B"]
    assert len({line["stroke"] for line in lines}) == 3


def test_a_missing_value_splits_the_line_in_two():
    soup = parse(line_chart("Sales", days(5), [Series("sales", (1.0, 2.0, None, 3.0, 4.0))]))

    path = soup.select_one("path.tsuide-chart__line")["d"]
    assert path.count("M") == 2
    assert path.count("L") == 2
    assert len(soup.select("circle.tsuide-chart__point")) == 4


def test_a_line_without_gaps_is_one_stroke():
    soup = parse(line_chart("Sales", days(4), [Series("sales", (1.0, 2.0, 3.0, 4.0))]))

    assert soup.select_one("path.tsuide-chart__line")["d"].count("M") == 1


@pytest.mark.parametrize("points", [(), (None, None), (0.0, None, 0.0)])
def test_a_chart_without_data_says_so(points):
    soup = parse(line_chart("Sales", days(len(points)), [Series("sales", points)]))

    assert soup.select_one(".tsuide-chart__empty").get_text() == "No data"
    assert soup.select("path.tsuide-chart__line") == []


@pytest.mark.parametrize("count", [1, 2, 8, 9, 10, 16, 30, 31, 90, 365])
def test_at_most_eight_x_labels_and_always_the_first_and_last(count):
    soup = parse(line_chart("Sales", days(count), [Series("sales", (1.0,) * count)]))

    shown = [label.get_text() for label in soup.select(".tsuide-chart__x-label")]
    assert len(shown) <= 8
    assert len(shown) >= min(count, 5)
    assert shown[0] == "day 1"
    assert shown[-1] == f"day {count}"


@pytest.mark.parametrize("maximum", [0.004, 0.37, 1.0, 7.0, 99.5, 101.0, 12345.0])
def test_the_y_axis_runs_from_zero_to_a_round_top_above_every_value(maximum):
    series = [Series("a", (maximum / 2, None, maximum)), Series("b", (0.0,) * 3)]
    soup = parse(line_chart("Sales", days(3), series, y_format="{:.6f}".format))

    ticks = y_tick_values(soup)
    assert ticks[0] == 0
    assert ticks[-1] >= maximum
    assert ticks[-1] < 2 * maximum
    assert 5 <= len(ticks) <= 6
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1


def test_y_labels_use_the_given_format():
    soup = parse(line_chart("Rate", days(2), [Series("rate", (0.1, 0.37))], y_format=percent_format))

    assert [label.get_text() for label in soup.select(".tsuide-chart__y-label")] == [
        "0%", "10%", "20%", "30%", "40%"]


def test_points_are_marked_up_to_a_month_of_days_only():
    month = parse(line_chart("Sales", days(31), [Series("sales", (1.0,) * 31)]))
    longer = parse(line_chart("Sales", days(32), [Series("sales", (1.0,) * 32)]))

    assert len(month.select("circle.tsuide-chart__point")) == 31
    assert longer.select("circle") == []


def test_a_higher_value_is_drawn_higher():
    soup = parse(line_chart("Sales", days(2), [Series("sales", (1.0, 3.0))]))

    low, high = (float(circle["cy"]) for circle in soup.select("circle.tsuide-chart__point"))
    assert high < low


def test_a_series_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="'sales' has 2 points for 3 x labels"):
        line_chart("Sales", days(3), [Series("sales", (1.0, 2.0))])


# Bar chart ----------------------------------------------------------------

def test_bar_labels_are_escaped():
    chart = bar_chart("Variants", [Bar(SCRIPT, 0.5, 0.4, 0.6)])
    soup = parse(chart)

    assert soup.find("script") is None
    assert "<script>" not in str(chart)
    assert soup.select_one("rect.tsuide-chart__bar")["data-label"] == SCRIPT
    assert soup.select_one(".tsuide-chart__bar-label").get_text() == SCRIPT


def test_bar_lengths_are_proportional_to_the_values():
    soup = parse(bar_chart("Conversion", [Bar("A", 0.5), Bar("B", 0.25), Bar("C", 0.0)]))

    widths = bar_widths(soup)
    assert widths["A"] / widths["B"] == pytest.approx(2, rel=0.005)
    assert widths["C"] == 0


def test_the_scale_reaches_the_highest_interval_end_not_just_the_highest_value():
    without_interval = bar_widths(parse(bar_chart("Conversion", [Bar("A", 0.5)])))["A"]
    with_interval = bar_widths(parse(bar_chart("Conversion", [Bar("A", 0.5, 0.3, 0.9)])))["A"]

    assert with_interval < without_interval


def test_whiskers_are_drawn_only_for_bars_with_an_interval():
    soup = parse(bar_chart("Conversion", [Bar("A", 0.5, 0.4, 0.6), Bar("B", 0.25), Bar("C", 0.3, low=0.2)]))

    whiskers = soup.select("path.tsuide-chart__whisker")
    assert len(whiskers) == 1
    assert whiskers[0]["d"].count("M") == 3  # the line and its two end caps


def test_the_whisker_spans_low_to_high_on_the_bars_scale():
    soup = parse(bar_chart("Conversion", [Bar("A", 0.5, 0.25, 0.75)]))

    rect = soup.select_one("rect.tsuide-chart__bar")
    start, width = float(rect["x"]), float(rect["width"])
    low, high = (float(n) for n in re.findall(r"M([\d.]+),[\d.]+ H([\d.]+)", soup.select_one(
        ".tsuide-chart__whisker")["d"])[0])
    assert low - start == pytest.approx(width / 2, abs=0.2)
    assert high - start == pytest.approx(width * 1.5, abs=0.2)


def test_each_bar_shows_its_value_and_a_tooltip_with_the_interval():
    soup = parse(bar_chart("Conversion", [Bar("A", 0.1234, 0.1, 0.15), Bar("B", 0.2)], value_format=percent_format))

    assert [text.get_text() for text in soup.select(".tsuide-chart__bar-value")] == ["12.3%", "20%"]
    assert [title.get_text() for title in soup.select("rect title")] == ["A: 12.3% (10% to 15%)", "B: 20%"]


def test_only_the_highlighted_bar_gets_the_highlight_class():
    soup = parse(bar_chart("Conversion", [Bar("A", 0.1), Bar("B", 0.2, highlight=True)]))

    highlighted = soup.select("rect.tsuide-chart__bar--highlight")
    assert [rect["data-label"] for rect in highlighted] == ["B"]
    assert len({rect["fill"] for rect in soup.select("rect.tsuide-chart__bar")}) == 2


def test_the_chart_grows_by_one_row_per_bar():
    def height(count: int) -> int:
        bars = [Bar(f"variant {n}", 0.1) for n in range(count)]
        return int(parse(bar_chart("Conversion", bars)).find("svg")["viewbox"].split()[3])

    assert height(4) - height(3) == height(3) - height(2) == 28


def test_a_long_label_is_shortened_on_screen_but_whole_in_the_tooltip():
    label = "a very long variant name " * 10
    soup = parse(bar_chart("Conversion", [Bar(label, 0.1)]))

    assert soup.select_one(".tsuide-chart__bar-label").get_text().endswith("\u2026")
    assert soup.select_one("rect.tsuide-chart__bar")["data-label"] == label
    assert soup.select_one("rect title").get_text().startswith(label)


def test_no_bars_give_a_small_chart_saying_no_data():
    soup = parse(bar_chart("Conversion", []))

    assert soup.select_one(".tsuide-chart__empty").get_text() == "No data"
    assert soup.select("rect") == []
