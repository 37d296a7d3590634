"""Issue 15: the dashboard's SVG charts as exact text, and the pages that show them."""
from __future__ import annotations

import json
import time

from paas.domain.metrics import access_log_name
from paas.render.charts import Line, _nice_top, app_charts, chart
from paas.services.metrics import access_log_dir
from tests.unit.test_dashboard import dash, deployed, sign_in  # noqa: F401 (fixture)

M = 1_764_000_000 - 1_764_000_000 % 60


def test_a_chart_is_exact_svg_with_gaps_markers_and_a_round_axis():
    # minutes drawn at their middle; the marker at its exact time, within the minute it fell in
    svg = chart("Requests", "per minute", [M, M + 60, M + 120, M + 180],
                [Line("all", [0, 3, None, 4], "s-total")], [{"version": 7, "at": M + 90}])
    assert svg.splitlines() == [
        '<svg class="chart" viewBox="0 0 640 150" role="img" aria-label="Requests" '
        'xmlns="http://www.w3.org/2000/svg">',
        '<text class="c-title" x="48" y="12">Requests (per minute)</text>',
        '<line class="c-axis" x1="48" y1="130" x2="632" y2="130"/>',
        '<line class="c-grid" x1="48" y1="18" x2="632" y2="18"/>',
        '<text class="c-tick" x="44" y="22" text-anchor="end">5</text>',
        '<text class="c-tick" x="44" y="130" text-anchor="end">0</text>',
        f'<text class="c-tick" x="48.0" y="146" text-anchor="start">'
        f'{time.strftime("%H:%M", time.gmtime(M))}</text>',
        f'<text class="c-tick" x="632.0" y="146" text-anchor="end">'
        f'{time.strftime("%H:%M", time.gmtime(M + 240))} UTC</text>',
        '<g class="c-marker"><line x1="267.0" y1="18" x2="267.0" y2="130"/>'
        '<text x="269.0" y="27">v7</text></g>',
        '<polyline class="c-line s-total" points="121.0,130.0 267.0,62.8"><title>all</title>'
        '</polyline>',
        '<circle class="c-dot s-total" cx="559.0" cy="40.4" r="2"><title>all</title></circle>',
        '<text class="c-legend s-total" x="632" y="12" text-anchor="end">all</text>',
        '</svg>',
    ]


def test_labels_are_escaped_and_axis_tops_are_round():
    assert "&lt;b&gt;" in chart("<b>", "ms", [M], [Line("<b>", [1], "s-total")], [])
    assert [_nice_top(v) for v in (0, 0.3, 3, 7, 42, 180, 999, 1234)] == \
        [1.0, 0.5, 5.0, 10.0, 50.0, 200.0, 1000.0, 2000.0]


def test_app_charts_draw_requests_errors_p95_and_memory_against_its_limit():
    doc = {"minutes": [M], "releases": [], "requests": [3],
           "status": {"1xx": [0], "2xx": [2], "3xx": [0], "4xx": [0], "5xx": [1]},
           "latency_ms": {"total": {"p95": [25.0]}, "upstream": {"p95": [10.0]}},
           "processes": {"web": {"memory_bytes": [52428800], "memory_limit_bytes": [104857600]}}}
    titles = [svg.split('aria-label="')[1].split('"')[0] for svg in app_charts(doc)]
    assert titles == ["Requests", "Errors", "Latency p95", "Memory"]
    assert "web limit" in app_charts(doc)[3]


def test_the_app_page_and_apps_list_show_metrics(dash):  # noqa: F811
    sign_in(dash)
    deployed(dash, "hello")
    path = access_log_dir(dash.services.settings) / access_log_name("hello")
    path.parent.mkdir(parents=True, exist_ok=True)
    now = time.time()
    path.write_bytes(b"".join(json.dumps({"t": f"{now - 1:.3f}", "s": s, "rt": "0.010",
                                          "ut": "0.009", "b": "5"}).encode() + b"\n"
                              for s in ("200", "200", "200", "500", "200")))
    dash.services.metrics.collect_once()
    page = dash.get("/apps/hello").get_data(as_text=True)
    assert page.count('<svg class="chart"') == 4 and 'class="c-marker"' in page
    assert dash.get("/apps/hello?range=24h").status_code == 200
    live = dash.get("/apps/hello/live?range=24h").json
    assert live["metrics"].count("<svg") == 4
    listing = dash.get("/").get_data(as_text=True)
    assert '<td class="rate">1.0</td>' in listing  # 5 requests in 5 minutes
    assert '<td class="rate errors">20.0%</td>' in listing
