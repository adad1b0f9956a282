"""Server-side SVG charts for the admin analytics dashboard: no JavaScript, no chart library.

Each chart is a :class:`~markupsafe.Markup` string holding one inline ``<svg>`` that scales to the
width of its container. Colours come from CSS classes (``tsuide-chart__series-0``, ``-1``, ...) with
inline defaults from a small palette, so a chart reads well without the admin stylesheet. All text
from callers is escaped; coordinates carry at most one decimal and never an exponent.
"""
from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby

from markupsafe import Markup

__all__ = ["Bar", "Series", "bar_chart", "line_chart", "number_format", "percent_format"]

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2")
MUTED_BAR_FILL = "#93c5fd"
TEXT_FILL = "#374151"
MAX_X_LABELS = 8
MAX_POINTS_WITH_MARKERS = 31
BAR_ROW_HEIGHT = 28
BAR_THICKNESS = 16
CHARACTER_WIDTH = 6.5  # a rough average for 11px sans-serif, to reserve room for text
_NICE_FRACTIONS = (1.0, 2.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Series:
    """One line of a :func:`line_chart`: a value per x label, ``None`` where there is no data."""

    name: str
    points: tuple[float | None, ...]


@dataclass(frozen=True)
class Bar:
    """One row of a :func:`bar_chart`, with an optional interval (``low`` and ``high``) drawn as a whisker."""

    label: str
    value: float
    low: float | None = None
    high: float | None = None
    highlight: bool = False


def number_format(value: float) -> str:
    """A plain number with at most two decimals, trailing zeros trimmed: ``2.5``, ``1200``."""
    return _trimmed(f"{value:.2f}")


def percent_format(value: float) -> str:
    """A rate as a percentage with at most one decimal: ``0.1234`` gives ``12.3%``."""
    return _trimmed(f"{value * 100:.1f}") + "%"


def _trimmed(number: str) -> str:
    number = number.rstrip("0").rstrip(".") if "." in number else number
    return "0" if number == "-0" else number


def _coordinate(value: float) -> str:
    """An SVG coordinate with at most one decimal: never ``1e-05``."""
    return _trimmed(f"{value:.1f}")


def _nice_ticks(maximum: float) -> list[float]:
    """Ticks from 0 to a round top >= ``maximum`` (> 0), in four or five steps, whichever fits tighter."""
    steps = [(_nice_step(maximum / count), count) for count in (4, 5)]
    step, count = min(steps, key=lambda step_and_count: step_and_count[0] * step_and_count[1])
    return [round(step * index, 12) for index in range(count + 1)]


def _nice_step(raw_step: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least ``raw_step``."""
    magnitude = 10.0 ** math.floor(math.log10(raw_step))
    return next(f * magnitude for f in _NICE_FRACTIONS if f * magnitude >= raw_step * (1 - 1e-9))


def _columns(text: str) -> int:
    """How many half-width columns ``text`` takes: kana, kanji and full-width forms take two."""
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def _text_width(texts: Sequence[str]) -> float:
    return CHARACTER_WIDTH * max((_columns(text) for text in texts), default=0)


def _svg(kind: str, title: str, width: int, height: float, body: Markup) -> Markup:
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="tsuide-chart tsuide-chart--{}" role="img"'
        ' aria-label="{}" viewBox="0 0 {} {}" width="100%" font-family="sans-serif" font-size="11">'
        "<title>{}</title>{}</svg>"
    ).format(kind, title, width, _coordinate(height), title, body)


def _no_data(kind: str, title: str, width: int, height: float, text: str) -> Markup:
    message = Markup(
        '<text class="tsuide-chart__empty" x="{}" y="{}" text-anchor="middle" dominant-baseline="middle"'
        ' fill="#6b7280">{}</text>'
    ).format(_coordinate(width / 2), _coordinate(height / 2), text)
    return _svg(kind, title, width, height, message)


# Line chart ---------------------------------------------------------------

@dataclass(frozen=True)
class _Plot:
    """The drawing area of a line chart, with the value at its top edge and the number of x positions."""

    left: float
    top: float
    right: float
    bottom: float
    y_max: float
    count: int

    def x(self, index: int) -> float:
        if self.count == 1:
            return (self.left + self.right) / 2
        return self.left + index * (self.right - self.left) / (self.count - 1)

    def y(self, value: float) -> float:
        return self.bottom - max(value, 0.0) / self.y_max * (self.bottom - self.top)


def line_chart(title: str, x_labels: Sequence[str], series: Sequence[Series], *,
               y_format: Callable[[float], str] = number_format, width: int = 640, height: int = 220,
               no_data: str = "No data") -> Markup:
    """An SVG line chart, one line per series over ``x_labels``; the y axis runs from 0 to a round top.

    :raises ValueError: if a series has not exactly one point per x label.
    """
    for line in series:
        if len(line.points) != len(x_labels):
            raise ValueError(f"series {line.name!r} has {len(line.points)} points for {len(x_labels)} x labels")
    values = [value for line in series for value in line.points if value is not None]
    if not values or max(values) <= 0:
        return _no_data("line", title, width, height, no_data)
    ticks = _nice_ticks(max(values))
    tick_labels = [y_format(tick) for tick in ticks]
    plot = _Plot(left=12 + _text_width(tick_labels), top=10, right=width - 12, bottom=height - 46,
                 y_max=ticks[-1], count=len(x_labels))
    parts = [_grid(plot, ticks, tick_labels), _x_axis(plot, x_labels)]
    parts += [_series_line(plot, line, index, x_labels, y_format) for index, line in enumerate(series)]
    parts.append(_legend(series, plot.left, height - 12))
    return _svg("line", title, width, height, Markup("").join(parts))


def _grid(plot: _Plot, ticks: Sequence[float], tick_labels: Sequence[str]) -> Markup:
    lines = [Markup(
        '<line class="tsuide-chart__grid" x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#e5e7eb"/>'
        '<text class="tsuide-chart__y-label" x="{3}" y="{1}" text-anchor="end" dominant-baseline="middle"'
        ' fill="#6b7280">{4}</text>'
    ).format(_coordinate(plot.left), _coordinate(plot.y(tick)), _coordinate(plot.right),
             _coordinate(plot.left - 6), label) for tick, label in zip(ticks, tick_labels)]
    axes = Markup('<path class="tsuide-chart__axis" d="M{},{} V{} H{}" fill="none" stroke="#9ca3af"/>').format(
        _coordinate(plot.left), _coordinate(plot.top), _coordinate(plot.bottom), _coordinate(plot.right))
    return Markup("").join(lines) + axes


def _shown_x_indices(count: int) -> list[int]:
    """Which x labels to print: at most :data:`MAX_X_LABELS`, evenly spaced, always the first and last."""
    if count <= MAX_X_LABELS:
        return list(range(count))
    step = math.ceil((count - 1) / (MAX_X_LABELS - 1))
    shown = list(range(0, count, step))
    if shown[-1] != count - 1:
        if count - 1 - shown[-1] < step / 2:
            shown.pop()  # too close to the last label: they would overlap
        shown.append(count - 1)
    return shown


def _x_axis(plot: _Plot, x_labels: Sequence[str]) -> Markup:
    labels = []
    for index in _shown_x_indices(len(x_labels)):
        # The outermost labels hang inwards so that they are not clipped at the edges.
        anchor = "start" if index == 0 < plot.count - 1 else "end" if index == plot.count - 1 > 0 else "middle"
        labels.append(Markup(
            '<text class="tsuide-chart__x-label" x="{}" y="{}" text-anchor="{}" fill="#6b7280">{}</text>'
        ).format(_coordinate(plot.x(index)), _coordinate(plot.bottom + 16), anchor, x_labels[index]))
    return Markup("").join(labels)


def _path_data(plot: _Plot, points: Sequence[float | None]) -> str:
    """``M``/``L`` commands for each run of known values: a ``None`` leaves a gap in the line."""
    runs = groupby(enumerate(points), key=lambda index_and_value: index_and_value[1] is not None)
    commands = []
    for known, run in runs:
        if known:
            coordinates = [f"{_coordinate(plot.x(i))},{_coordinate(plot.y(value))}" for i, value in run]
            # A lone point draws nothing as a line; "h0" with a round cap shows it as a dot.
            commands.append("M" + " L".join(coordinates) + (" h0" if len(coordinates) == 1 else ""))
    return " ".join(commands)


def _series_line(plot: _Plot, line: Series, index: int, x_labels: Sequence[str],
                 y_format: Callable[[float], str]) -> Markup:
    colour = PALETTE[index % len(PALETTE)]
    path = Markup(
        '<path class="tsuide-chart__line tsuide-chart__series-{}" data-series="{}" d="{}" fill="none"'
        ' stroke="{}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>'
    ).format(index, line.name, _path_data(plot, line.points), colour)
    if plot.count > MAX_POINTS_WITH_MARKERS:
        return path
    markers = [Markup(
        '<circle class="tsuide-chart__point tsuide-chart__series-{}" cx="{}" cy="{}" r="3" fill="{}">'
        "<title>{}, {}: {}</title></circle>"
    ).format(index, _coordinate(plot.x(i)), _coordinate(plot.y(value)), colour, line.name, x_labels[i],
             y_format(value)) for i, value in enumerate(line.points) if value is not None]
    return path + Markup("").join(markers)


def _legend(series: Sequence[Series], left: float, baseline: float) -> Markup:
    entries, x = [], left
    for index, line in enumerate(series):
        entries.append(Markup(
            '<g class="tsuide-chart__legend-item"><rect class="tsuide-chart__series-{}" x="{}" y="{}" width="10"'
            ' height="10" rx="2" fill="{}"/><text x="{}" y="{}" fill="{}">{}</text></g>'
        ).format(index, _coordinate(x), _coordinate(baseline - 9), PALETTE[index % len(PALETTE)],
                 _coordinate(x + 14), _coordinate(baseline), TEXT_FILL, line.name))
        x += 28 + _text_width([line.name])
    return Markup('<g class="tsuide-chart__legend">{}</g>').format(Markup("").join(entries))


# Bar chart ----------------------------------------------------------------

def bar_chart(title: str, bars: Sequence[Bar], *, value_format: Callable[[float], str] = number_format,
              width: int = 640, no_data: str = "No data") -> Markup:
    """An SVG chart of horizontal bars, one row each, scaled from 0 to a round number >= every value and high.

    A whisker from ``low`` to ``high`` is drawn where both are given.
    """
    if not bars:
        return _no_data("bar", title, width, 2 * BAR_ROW_HEIGHT, no_data)
    maximum = max(max(bar.value, bar.high or 0.0) for bar in bars)
    scale_max = _nice_ticks(maximum)[-1] if maximum > 0 else 1.0
    label_width = min(width * 0.35, 16 + _text_width([bar.label for bar in bars]))
    bar_space = width - label_width - 12 - _text_width([value_format(bar.value) for bar in bars])

    def x(value: float) -> float:
        return label_width + max(value, 0.0) / scale_max * bar_space

    height = len(bars) * BAR_ROW_HEIGHT + 8
    axis = Markup('<line class="tsuide-chart__axis" x1="{0}" y1="0" x2="{0}" y2="{1}" stroke="#9ca3af"/>').format(
        _coordinate(label_width), height)
    rows = [_bar_row(bar, 4 + (row + 0.5) * BAR_ROW_HEIGHT, x, value_format) for row, bar in enumerate(bars)]
    return _svg("bar", title, width, height, axis + Markup("").join(rows))


def _bar_row(bar: Bar, middle: float, x: Callable[[float], float], value_format: Callable[[float], str]) -> Markup:
    has_interval = bar.low is not None and bar.high is not None
    tooltip = f"{bar.label}: {value_format(bar.value)}"
    if has_interval:
        tooltip += f" ({value_format(bar.low)} to {value_format(bar.high)})"
    highlight = " tsuide-chart__bar--highlight" if bar.highlight else ""
    row = Markup(
        '<text class="tsuide-chart__bar-label" x="{}" y="{}" text-anchor="end" dominant-baseline="middle"'
        ' fill="{}">{}</text><rect class="tsuide-chart__bar{}" data-label="{}" x="{}" y="{}" width="{}" height="{}"'
        ' fill="{}"><title>{}</title></rect>'
    ).format(_coordinate(x(0) - 8), _coordinate(middle), TEXT_FILL, _fitted(bar.label, x(0) - 8), highlight,
             bar.label, _coordinate(x(0)), _coordinate(middle - BAR_THICKNESS / 2), _coordinate(x(bar.value) - x(0)),
             BAR_THICKNESS, PALETTE[0] if bar.highlight else MUTED_BAR_FILL, tooltip)
    if has_interval:
        row += _whisker(x(bar.low), x(bar.high), middle)
    value_x = max(x(bar.value), x(bar.high) if has_interval else 0.0) + 6
    return row + Markup(
        '<text class="tsuide-chart__bar-value" x="{}" y="{}" dominant-baseline="middle" fill="{}">{}</text>'
    ).format(_coordinate(value_x), _coordinate(middle), TEXT_FILL, value_format(bar.value))


def _whisker(low_x: float, high_x: float, middle: float) -> Markup:
    """A line from low to high with an end cap at each end."""
    low, high, top, bottom = (_coordinate(n) for n in (low_x, high_x, middle - 5, middle + 5))
    return Markup(
        '<path class="tsuide-chart__whisker" d="M{0},{1} H{2} M{0},{3} V{4} M{2},{3} V{4}" fill="none"'
        ' stroke="#111827" stroke-width="1.5"/>'
    ).format(low, _coordinate(middle), high, top, bottom)


def _fitted(label: str, room: float) -> str:
    """The label, cut short with an ellipsis where it would not fit in ``room`` (the tooltip has it whole)."""
    most = max(int(room / CHARACTER_WIDTH), 2)
    if _columns(label) <= most:
        return label
    while _columns(label) > most - 1:
        label = label[:-1]
    return label + "\u2026"
