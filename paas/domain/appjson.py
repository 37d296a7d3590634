"""`app.json` as paas reads it (Dokku's conventions): health checks, the predeploy script and
the initial formation. Pure.

    {"healthchecks": {...},
     "scripts": {"dokku": {"predeploy": "python manage.py migrate"}},
     "formation": {"web": {"quantity": 2}, "worker": {"quantity": 1}}}
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from paas.domain.healthchecks import Check, parse_app_json
from paas.domain.procfile import MAX_SCALE, TYPE_RE
from paas.errors import InvalidInput


@dataclass(frozen=True)
class AppJson:
    healthchecks: dict[str, list[Check]] = field(default_factory=dict)
    predeploy: str | None = None
    formation: dict[str, int] = field(default_factory=dict)


def parse(text: str | None) -> AppJson:
    if not text:
        return AppJson()
    checks = parse_app_json(text)  # also says when the JSON itself is invalid
    data = json.loads(text)
    if not isinstance(data, dict):
        return AppJson(checks)
    return AppJson(checks, _predeploy(data.get("scripts")), _formation(data.get("formation")))


def _predeploy(scripts: object) -> str | None:
    if scripts is None:
        return None
    dokku = scripts.get("dokku") if isinstance(scripts, dict) else None
    command = dokku.get("predeploy") if isinstance(dokku, dict) else None
    if command is None:
        return None
    if not isinstance(command, str) or not command.strip():
        raise InvalidInput("app.json: scripts.dokku.predeploy must be a command (a string)")
    return command.strip()


def _formation(raw: object) -> dict[str, int]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput('app.json: formation must be an object like {"web": {"quantity": 1}}')
    out = {}
    for process, spec in raw.items():
        quantity = spec.get("quantity", 1) if isinstance(spec, dict) else None
        if not TYPE_RE.fullmatch(process):
            raise InvalidInput(f"app.json: formation has an invalid process type {process[:63]!r}")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= MAX_SCALE:
            raise InvalidInput(f"app.json: formation.{process}.quantity must be a whole number "
                               f"from 0 to {MAX_SCALE}")
        out[process] = quantity
    return out


def initial_formation(stored: dict[str, int], declared: dict[str, int], first_deploy: bool) -> dict[str, int]:
    """app.json's formation sets the scale at the first deploy, and of process types the app
    has never been scaled for; after that `ps:scale` decides (as on Heroku)."""
    if first_deploy:
        return {**stored, **declared}
    return {**{p: n for p, n in declared.items() if p not in stored}, **stored}
