"""Bar charts drawn on the server as inline SVG: no script, and no inline style (the content security policy
forbids it), so colours come from classes in inbox.css. This module only computes the geometry; the template
macros in inbox/_charts.html draw it, and every chart sits beside a table with the same numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH, HEIGHT = 340, 190
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 18, 38


@dataclass(frozen=True)
class Column:
    label: str
    shown: str  # the value as written above the bar ('' for no data)
    x: float
    y: float
    width: float
    height: float
    current: bool  # the chosen week, drawn darker


@dataclass(frozen=True)
class ColumnChart:
    title: str
    columns: list[Column]
    gridlines: list[tuple[float, str]]  # (y, label)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: float = HEIGHT - BOTTOM


def nice_ceiling(value: float, whole: bool = False) -> tuple[float, float]:
    """A round top for the axis at or above `value`, and the step between its 2 to 5 gridlines (a whole number
    when `whole`: counts have no half emergencies)."""
    if value <= 0:
        return 1.0, 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10):
        step *= magnitude
        if value / step <= 5 and (not whole or step == int(step)):
            return math.ceil(value / step) * step, step
    return value, value


def _axis_label(value: float, percent: bool) -> str:
    if percent:
        return f"{round(value * 100)}%"
    return f"{value:g}"


def column_chart(title: str, points: list[tuple[str, float | None, str]], *, percent: bool = False, whole: bool = False) -> ColumnChart:
    """Columns for (label, value or None, value as shown) in order; the last is marked as the current one.
    `percent`: values are shares from 0 to 1; `whole`: values are counts."""
    values = [value for _, value, _ in points if value is not None]
    top, step = (1.0, 0.25) if percent else nice_ceiling(max(values, default=0), whole)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(points), 1)
    columns = []
    for position, (label, value, shown) in enumerate(points):
        height = 0.0 if value is None else plot_height * value / top
        columns.append(
            Column(
                label,
                shown if value is not None else "",
                LEFT + position * slot + slot * 0.15,
                HEIGHT - BOTTOM - height,
                slot * 0.7,
                height,
                position == len(points) - 1,
            )
        )
    gridlines = []
    level = 0.0
    while level <= top + 1e-9:
        gridlines.append((HEIGHT - BOTTOM - plot_height * level / top, _axis_label(level, percent)))
        level += step
    return ColumnChart(title, columns, gridlines)


@dataclass(frozen=True)
class Share:
    label: str
    count: int
    width: float  # of the bar, 0 to 100 (a share of the largest count)


def shares(counts: list[tuple[str, int]]) -> list[Share]:
    """Rows of a ranked list with a bar each, as long as the count relative to the first."""
    largest = max((count for _, count in counts), default=0) or 1
    return [Share(label, count, round(100 * count / largest, 1)) for label, count in counts]
