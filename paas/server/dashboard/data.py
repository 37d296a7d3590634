"""Data on the dashboard (issue 12): an app's volumes and linked services on its page, and the
services list (`/services`, admin tokens only, like the API's /services). Read-only: changes go
through `paas storage:*` and `paas services:*`."""
from __future__ import annotations

from flask import Blueprint, g, render_template

from paas.errors import NotFound
from paas.server.dashboard.common import services

bp = Blueprint("data", __name__)


def app_data(name: str) -> dict:
    """The app page's volumes (mounted or kept unmounted) and linked services with state."""
    found = services()
    volumes = [{"name": v.name, "path": v.path} for v in found.storage.list(name)] \
        if found.storage else []
    linked = []
    if found.datastores:
        for link in found.store.list_links(app=name):
            try:
                info = found.datastores.info(link.datastore, set())
            except NotFound:
                continue
            linked.append({"name": link.datastore, "var": link.var, "kind": info.datastore.kind,
                           "version": info.datastore.version, "state": info.state})
    return {"volumes": volumes, "linked": linked}


@bp.get("/services")
def index():
    if not g.principal.admin or services().datastores is None:
        raise NotFound("no such page")
    rows = services().datastores.list(set())  # no URLs: the page never shows passwords
    return render_template("services.html", services=rows)
