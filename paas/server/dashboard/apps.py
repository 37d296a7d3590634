"""The apps list (`/`), with each app's state kept fresh by the page; create and destroy."""
from __future__ import annotations

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for

from paas.server.dashboard.common import act, services
from paas.server.dashboard.session import passive

bp = Blueprint("apps", __name__)


def _visible():
    return [a for a in services().status.all() if g.principal.may_access(a.name)]


@bp.get("/")
def index():
    return render_template("apps.html", apps=_visible(), rates=_rates())


@bp.get("/live/apps")
@passive
def live():
    """The parts of the list page that change by themselves, as HTML for its script."""
    return jsonify({"apps": render_template("_apps_table.html", apps=_visible(),
                                            rates=_rates())})


def _rates() -> dict:
    """Each app's requests per minute and 5xx share over the last 5 minutes (issue 15)."""
    metrics = services().metrics
    return metrics.recent_rates() if metrics else {}


@bp.post("/apps")
def create():
    name = request.form.get("name", "").strip()
    return act(url_for(".index"), lambda _: f"Created {services().apps.create(name).name}.",
               then=url_for("dashboard.app.show", name=name))


@bp.post("/apps/<name>/destroy")
def destroy(name: str):
    services().apps.get(name)
    if request.form.get("confirm", "").strip() != name:
        flash(f"Not destroyed: type {name} to confirm.", "error")
        return redirect(url_for("dashboard.app.show", name=name, _anchor="destroy"), 303)

    def work(_) -> str:
        services().apps.destroy(name)
        return f"Destroyed {name}: its containers, images, repository and records are gone."

    return act(url_for(".index"), work)
