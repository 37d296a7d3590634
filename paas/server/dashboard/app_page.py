"""One app's page: state, processes, releases, config vars (masked until revealed), domains and
builds; the state, processes, releases and builds parts refresh by themselves."""
from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, jsonify, render_template, request
from markupsafe import Markup

from paas.server.dashboard.common import services
from paas.server.dashboard.data import app_data
from paas.render.charts import app_charts
from paas.server.serialize import iso
from paas.server.dashboard.session import passive

bp = Blueprint("app", __name__)

LISTED = 15  # releases and builds shown; the CLI lists them all
LIVE_PARTS = {"status": "_app_status.html", "processes": "_processes.html",
              "releases": "_releases.html", "builds": "_builds.html",
              "metrics": "_metrics.html"}
RANGES = ("1h", "24h")  # the charts' windows: the last hour, or a day on request


def _live(name: str) -> dict:
    page = services().status.page(name, LISTED)
    window = request.args.get("range", "1h")
    window = window if window in RANGES else "1h"
    metrics = services().metrics
    charts = [Markup(svg) for svg in app_charts(metrics.series(name, window))] if metrics else []
    return {"name": name, "summary": page.summary, "processes": page.processes,
            "releases": page.releases, "builds": page.builds, "charts": charts,
            "range": window, "ranges": RANGES}


@bp.get("/apps/<name>")
def show(name: str):
    info = services().apps.info(name)
    return render_template(
        "app.html", **_live(name), git_url=info.git_url,
        config=services().store.get_config(name), domains=services().domains.list(name),
        certs=[{**asdict(row), "expires": iso(row.expires), "next_renewal": iso(row.next_renewal)}
               for row in services().certs.status(name)],
        reveal=request.args.get("reveal") == "1", **app_data(name),
    )


@bp.get("/apps/<name>/live")
@passive
def live(name: str):
    services().apps.get(name)
    context = _live(name)
    return jsonify({part: render_template(template, **context)
                    for part, template in LIVE_PARTS.items()})
