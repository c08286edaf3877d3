"""The capability-gap charts as SVG documents, drawn by matplotlib on the server.

The admin pages allow no inline style (`style-src 'self'`), and an SVG placed in the page
carries its styles inline; so each chart is a whole SVG document shown as an image
(`data:image/svg+xml;base64,...`, which `img-src data:` allows), with a table of the same
figures beside it. Texts stay text (`svg.fonttype: none`): the reader's browser sets them
in its own fonts, Japanese included, and the document stays small. The caller passes every
text already translated."""

import base64
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import dates, font_manager
from matplotlib.figure import Figure

# Latin text in DejaVu Sans (bundled with matplotlib); Japanese in the first CJK font this
# machine has (glyphs it lacks are then measured right). Only fonts present are named:
# matplotlib warns on every text for a missing one.
_JAPANESE = ("Noto Sans CJK JP", "IPAexGothic", "IPAGothic", "TakaoGothic", "Source Han Sans JP")
_INSTALLED = {f.name for f in font_manager.fontManager.ttflist}
FONTS = ["DejaVu Sans", *(name for name in _JAPANESE if name in _INSTALLED)]
UNCOVERED_COLOUR = "#b3261e"
LOCKED_COLOUR = "#1d4e89"
# Lines of the trend, one per area, cycled (colour-blind safe, Okabe-Ito).
LINE_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
STYLES: Any = {
    "svg.fonttype": "none",
    "svg.hashsalt": "kakehashi",
    "font.family": FONTS,
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# pyplot is never used (it keeps global figures); rcParams are read while drawing, so drawing
# is done one chart at a time.
_drawing = threading.Lock()


@dataclass(frozen=True)
class Bar:
    """One area's shares (0..1; None when it has no solicitation)."""

    label: str
    uncovered: float | None
    locked: float | None


@dataclass(frozen=True)
class Line:
    """One area's weekly share uncovered."""

    label: str
    weeks: Sequence[date]
    shares: Sequence[float | None]


def _svg(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def coverage_bars(
    bars: Sequence[Bar], *, title: str, uncovered: str, locked: str, axis: str
) -> str:
    """Horizontal bars per area: the share uncovered and the share authorization-locked;
    base64 of the SVG document."""
    with _drawing, matplotlib.rc_context(STYLES):
        height = max(2.4, 0.42 * len(bars) + 1.2)
        figure = Figure(figsize=(7.5, height))
        ax = figure.add_subplot()
        rows = range(len(bars))
        ax.barh(
            [r - 0.2 for r in rows],
            [(b.uncovered or 0) * 100 for b in bars],
            height=0.38,
            color=UNCOVERED_COLOUR,
            label=uncovered,
        )
        ax.barh(
            [r + 0.2 for r in rows],
            [(b.locked or 0) * 100 for b in bars],
            height=0.38,
            color=LOCKED_COLOUR,
            label=locked,
        )
        ax.set_yticks(list(rows), [b.label for b in bars])
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel(axis)
        ax.set_title(title, loc="left")
        ax.grid(axis="x", color="#dde3ea")
        ax.set_axisbelow(True)
        ax.legend(loc="lower right", frameon=False)
        return _svg(figure)


def trend_lines(lines: Sequence[Line], *, title: str, axis: str) -> str:
    """One line per area of its weekly share uncovered; base64 of the SVG document."""
    with _drawing, matplotlib.rc_context(STYLES):
        figure = Figure(figsize=(7.5, 3.8))
        ax = figure.add_subplot()
        for i, line in enumerate(lines):
            points = [
                (float(dates.date2num(w)), s * 100)
                for w, s in zip(line.weeks, line.shares, strict=True)
                if s is not None
            ]
            if not points:
                continue
            ax.plot(
                [w for w, _ in points],
                [s for _, s in points],
                marker="o",
                markersize=3,
                linewidth=1.6,
                color=LINE_COLOURS[i % len(LINE_COLOURS)],
                linestyle="-" if i < len(LINE_COLOURS) else "--",
                label=line.label,
            )
        every = [w for line in lines for w in line.weeks]
        if every:
            # Half a week either side: a single week is a point in the middle, not at an edge.
            ax.set_xlim(
                float(dates.date2num(min(every))) - 3.5, float(dates.date2num(max(every))) + 3.5
            )
        ax.xaxis.set_major_locator(dates.AutoDateLocator(minticks=3, maxticks=8))
        ax.set_ylim(0, 100)
        ax.set_ylabel(axis)
        ax.set_title(title, loc="left")
        ax.grid(color="#dde3ea")
        ax.xaxis.set_major_formatter(dates.DateFormatter("%Y-%m-%d"))
        figure.autofmt_xdate()
        if lines:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        return _svg(figure)
