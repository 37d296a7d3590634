"""Custom domains from the app page: add one, remove one (nginx is re-rendered and checked)."""
from __future__ import annotations

from flask import Blueprint, request, url_for

from paas.server.dashboard.common import act, services

bp = Blueprint("domains", __name__)


def _back(name: str) -> str:
    return url_for("dashboard.app.show", name=name, _anchor="domains")


def _change(name: str, change, done: str):
    """Add or remove the form's domain of the app; `done` says which in the flash."""
    services().apps.get(name)
    domain = request.form.get("domain", "").strip()

    def work(_) -> str:
        change(name, domain)
        return f"{done} {domain}."

    return act(_back(name), work)


@bp.post("/apps/<name>/domains")
def add(name: str):
    return _change(name, services().domains.add, "Added")


@bp.post("/apps/<name>/domains/remove")
def remove(name: str):
    return _change(name, services().domains.remove, "Removed")
