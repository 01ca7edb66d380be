"""The report's charts as inline SVG, drawn with matplotlib to read well when printed in black and white.

Series are told apart by grey levels, hatching, line styles and markers, never by colour alone. Figures are
built with matplotlib's object API (no pyplot), so charts can be drawn from any thread.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.typing import RcKeyType

from reports.tables import ReportTable

# Text stays text in the SVG (smaller, searchable); a fixed salt keeps element ids stable between runs.
_STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "1001-services",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "black",
    "hatch.linewidth": 0.6,
}
GREYS = ("#f2f2f2", "#bdbdbd", "#737373", "#ffffff", "#d9d9d9", "#525252")
HATCHES = ("", "///", "...", "xx", "\\\\", "++")


def _svg(width: float, height: float, draw: Callable[[Figure], None]) -> str:
    """The <svg> element of a figure of `width` x `height` inches that `draw` fills in."""
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(width, height), layout="constrained")
        draw(figure)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    # Keep the <svg> element only: it is embedded in an HTML page, not served as a file.
    return text[text.index("<svg") :]


def _int_values(table: ReportTable, name: str) -> list[int]:
    return [int(value or 0) for value in table.column(name)]


def _labels(table: ReportTable, name: str) -> list[str]:
    return [str(value) for value in table.column(name)]


def horizontal_bars(table: ReportTable, *, label: str, value: str = "calls", limit: int = 12) -> str:
    """Bars for the first `limit` rows of a table, largest first, each with its count."""
    labels, values = _labels(table, label)[:limit], _int_values(table, value)[:limit]
    labels = [text if len(text) <= 48 else text[:46] + "…" for text in labels]

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        positions = range(len(labels))
        bars = axes.barh(positions, values, color=GREYS[1], edgecolor="black", linewidth=0.6)
        axes.bar_label(bars, padding=3)
        axes.set_yticks(list(positions), labels)
        axes.invert_yaxis()
        axes.set_xlabel("Appels")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.margins(x=0.12)

    return _svg(7.0, 0.35 * len(labels) + 0.8, draw)


def trend(table: ReportTable) -> str:
    """Calls, answered and unanswered calls month by month, told apart by line style and marker."""
    months = _labels(table, "month")

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        axes.plot(months, _int_values(table, "calls"), "-o", color="black", label="Appels")
        axes.plot(months, _int_values(table, "not_answered"), "--s", color=GREYS[2], label="Sans réponse")
        axes.plot(months, _int_values(table, "answered"), ":^", color="black", label="Appels pris")
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.tick_params(axis="x", labelrotation=45)
        axes.legend(frameon=False, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.3))

    return _svg(7.0, 3.2, draw)


def stacked_shares(table: ReportTable, *, group: str, part: str, value: str = "calls") -> str:
    """One horizontal bar per `group`, cut into `part` segments told apart by grey and hatching."""
    groups = list(dict.fromkeys(_labels(table, group)))
    parts = list(dict.fromkeys(_labels(table, part)))
    counts = {(str(row[group]), str(row[part])): int(row[value] or 0) for row in table.records()}

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        left = [0] * len(groups)
        for index, name in enumerate(parts):
            widths = [counts.get((g, name), 0) for g in groups]
            axes.barh(
                groups,
                widths,
                left=left,
                color=GREYS[index % len(GREYS)],
                hatch=HATCHES[index % len(HATCHES)],
                edgecolor="black",
                linewidth=0.6,
                label=name,
            )
            left = [a + b for a, b in zip(left, widths, strict=True)]
        axes.invert_yaxis()
        axes.set_xlabel("Appels")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(frameon=False, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.25))

    return _svg(7.0, 0.5 * len(groups) + 1.2, draw)


def heatmap(table: ReportTable, *, days: Sequence[str]) -> str:
    """Weekday x hour grid in grey levels, each non-empty cell with its count."""
    grid = [[0] * 24 for _ in days]
    for row in table.records():
        grid[int(row["weekday"] or 1) - 1][int(row["hour"] or 0)] = int(row["calls"] or 0)
    peak = max(max(line) for line in grid) or 1

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        # Vector cells (imshow would embed a bitmap, blurred in print and refused by strict page policies).
        axes.pcolormesh(grid, cmap="Greys", vmin=0, vmax=peak, edgecolors="white", linewidth=0.5)
        axes.invert_yaxis()
        for day, line in enumerate(grid):
            for hour, calls in enumerate(line):
                if calls:
                    shade = "white" if calls > peak / 2 else "black"
                    axes.text(
                        hour + 0.5, day + 0.5, str(calls), ha="center", va="center", fontsize=6, color=shade
                    )
        axes.set_yticks([day + 0.5 for day in range(len(days))], list(days))
        axes.set_xticks([hour + 0.5 for hour in range(24)], [str(hour) for hour in range(24)])
        axes.set_xlabel("Heure (heure de Paris)")
        axes.spines[["left", "bottom"]].set_visible(False)

    return _svg(7.5, 2.8, draw)
