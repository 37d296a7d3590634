"""Server-rendered SVG charts for the dashboard (issue 15): one line per series over per-minute
values, a vertical marker per release. Pure text out, exact output, no script or external file
(the dashboard's CSP allows neither); colours come from classes in dashboard.css."""
from __future__ import annotations

import time
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 150
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 18, 20  # margins for the axis labels


@dataclass(frozen=True)
class Line:
    label: str
    values: list  # per minute; None where nothing was measured
    css: str  # class of the line: s-total, s-error, s-limit, ...


def _nice_top(peak: float) -> float:
    """A round ceiling for the y axis (1, 2 or 5 times a power of ten)."""
    if peak <= 0:
        return 1.0
    scale = 10 ** len(str(int(peak))) / 100 if peak >= 1 else 0.01
    for step in (1, 2, 5, 10, 20, 50, 100):
        if step * scale >= peak:
            return float(step * scale)
    return float(peak)


def _fmt(value: float) -> str:
    return f"{value:g}" if value < 10000 else f"{value / 1000:g}k"


def _points(values: list, minutes: list[int], x, y) -> list[str]:
    """Polyline segments, broken where a value is missing."""
    runs, current = [], []
    for minute, value in zip(minutes, values):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(f"{x(minute + 30):.1f},{y(value):.1f}")
    if current:
        runs.append(current)
    return [" ".join(run) for run in runs]


def chart(title: str, unit: str, minutes: list[int], lines: list[Line],
          markers: list[dict], tz=time.gmtime) -> str:  # times in UTC, labelled so
    """An SVG of `lines` over `minutes`; `markers` are {"version", "at"} releases."""
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    # A minute's value is drawn at its middle, so a release marker (at its exact time) falls
    # before the requests it served.
    start = minutes[0] if minutes else 0
    span = (minutes[-1] + 60 - start) if minutes else 60
    peak = max((v for line in lines for v in line.values if v is not None), default=0)
    top = _nice_top(peak)

    def x(t: float) -> float:
        return LEFT + (t - start) / span * inner_w

    def y(v: float) -> float:
        return TOP + inner_h - (v / top) * inner_h

    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
           f'<text class="c-title" x="{LEFT}" y="12">{escape(title)} ({escape(unit)})</text>',
           f'<line class="c-axis" x1="{LEFT}" y1="{TOP + inner_h}" x2="{WIDTH - RIGHT}" '
           f'y2="{TOP + inner_h}"/>',
           f'<line class="c-grid" x1="{LEFT}" y1="{TOP}" x2="{WIDTH - RIGHT}" y2="{TOP}"/>',
           f'<text class="c-tick" x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end">'
           f'{_fmt(top)}</text>',
           f'<text class="c-tick" x="{LEFT - 4}" y="{TOP + inner_h}" text-anchor="end">0</text>']
    if minutes:
        for at, anchor, zone in ((minutes[0], "start", ""), (minutes[-1] + 60, "end", " UTC")):
            out.append(f'<text class="c-tick" x="{x(at):.1f}" y="{HEIGHT - 4}" '
                       f'text-anchor="{anchor}">{time.strftime("%H:%M", tz(at))}{zone}</text>')
    for marker in markers:
        if minutes and start <= marker["at"] <= start + span:
            mx = x(marker["at"])
            out.append(f'<g class="c-marker"><line x1="{mx:.1f}" y1="{TOP}" x2="{mx:.1f}" '
                       f'y2="{TOP + inner_h}"/><text x="{mx + 2:.1f}" y="{TOP + 9}">'
                       f'v{int(marker["version"])}</text></g>')
    for line in lines:
        for run in _points(line.values, minutes, x, y):
            if " " not in run:  # a lone minute: a dot, as a one-point line draws nothing
                cx, cy = run.split(",")
                out.append(f'<circle class="c-dot {escape(line.css)}" cx="{cx}" cy="{cy}" '
                           f'r="2"><title>{escape(line.label)}</title></circle>')
                continue
            out.append(f'<polyline class="c-line {escape(line.css)}" points="{run}">'
                       f'<title>{escape(line.label)}</title></polyline>')
    legend_x = WIDTH - RIGHT
    for line in reversed(lines):
        out.append(f'<text class="c-legend {escape(line.css)}" x="{legend_x}" y="12" '
                   f'text-anchor="end">{escape(line.label)}</text>')
        legend_x -= 8 + 7 * len(line.label)
    out.append("</svg>")
    return "\n".join(out)


def app_charts(doc: dict) -> list[str]:
    """The app page's four charts from the metrics API's document."""
    minutes, markers = doc["minutes"], doc["releases"]
    status = doc["status"]
    charts = [
        chart("Requests", "per minute", minutes,
              [Line("all", doc["requests"], "s-total")], markers),
        chart("Errors", "per minute", minutes,
              [Line("4xx", status["4xx"], "s-warn"), Line("5xx", status["5xx"], "s-error")],
              markers),
        chart("Latency p95", "ms", minutes,
              [Line("total", doc["latency_ms"]["total"]["p95"], "s-total"),
               Line("upstream", doc["latency_ms"]["upstream"]["p95"], "s-upstream")], markers),
    ]
    mib = lambda values: [None if v is None else round(v / 1048576, 1) for v in values]  # noqa: E731
    lines = []
    for process, figures in doc["processes"].items():
        lines += [Line(f"{process}", mib(figures["memory_bytes"]), "s-total"),
                  Line(f"{process} limit", mib(figures["memory_limit_bytes"]), "s-limit")]
    charts.append(chart("Memory", "MiB", minutes, lines, markers))
    return charts
