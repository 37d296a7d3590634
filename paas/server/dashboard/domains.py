"""Custom domains from the app page: add one, remove one (nginx is re-rendered and checked)."""
from __future__ import annotations

from flask import Blueprint, request, url_for

from paas.server.dashboard.common import act, services

bp = Blueprint("domains", __name__)


def _back(name: str) -> str:
    return url_for("dashboard.app.show", name=name, _anchor="domains")


@bp.post("/apps/<name>/domains")
def add(name: str):
    services().apps.get(name)
    domain = request.form.get("domain", "").strip()

    def work(_) -> str:
        services().domains.add(name, domain)
        return f"Added {domain}."

    return act(_back(name), work)


@bp.post("/apps/<name>/domains/remove")
def remove(name: str):
    services().apps.get(name)
    domain = request.form.get("domain", "").strip()

    def work(_) -> str:
        services().domains.remove(name, domain)
        return f"Removed {domain}."

    return act(_back(name), work)
