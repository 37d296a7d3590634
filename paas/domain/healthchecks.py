"""Declared health checks: `app.json` `healthchecks` in Dokku's form, parsed and checked.

    {"healthchecks": {"web": [{"type": "startup", "path": "/ready", "content": "ok",
                                "attempts": 3, "timeout": 5, "wait": 1, "initialDelay": 0}]}}
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from paas.errors import InvalidInput


@dataclass(frozen=True)
class Check:
    path: str = "/"
    content: str = ""
    attempts: int = 3
    timeout: float = 5.0
    wait: float = 1.0
    initial_delay: float = 0.0

    @property
    def deadline(self) -> float:
        """How long the check may take before it has failed for good."""
        return self.initial_delay + self.attempts * (self.timeout + self.wait)


def _number(raw: dict, key: str, default: float, where: str, whole: bool = False) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value > 600:
        raise InvalidInput(f"app.json: {where}.{key} must be a number of seconds from 0 to 600")
    return int(value) if whole else float(value)


def parse_app_json(text: str | None) -> dict[str, list[Check]]:
    """The startup checks per process type; {} when there is no app.json or no checks."""
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"app.json is not valid JSON: {exc}") from None
    section = data.get("healthchecks", {}) if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise InvalidInput("app.json: healthchecks must be an object of process type -> list of checks")
    checks: dict[str, list[Check]] = {}
    for process, items in section.items():
        # A key from the push may hold newlines: the error stays one line.
        shown = process if process.isprintable() else repr(process)
        if not isinstance(items, list):
            raise InvalidInput(f"app.json: healthchecks.{shown} must be a list")
        for n, raw in enumerate(items):
            where = f"healthchecks.{shown}[{n}]"
            if not isinstance(raw, dict):
                raise InvalidInput(f"app.json: {where} must be an object")
            if raw.get("type", "startup") != "startup":
                continue  # liveness/readiness checks are not run by paas yet
            path = raw.get("path", "/")
            if not isinstance(path, str) or not path.startswith("/"):
                raise InvalidInput(f"app.json: {where}.path must start with '/'")
            content = raw.get("content", "")
            if not isinstance(content, str):
                raise InvalidInput(f"app.json: {where}.content must be a string")
            checks.setdefault(process, []).append(Check(
                path=path, content=content,
                attempts=max(1, int(_number(raw, "attempts", 3, where, whole=True))),
                timeout=_number(raw, "timeout", 5, where), wait=_number(raw, "wait", 1, where),
                initial_delay=_number(raw, "initialDelay", 0, where),
            ))
    return checks


def to_json(checks: dict[str, list[Check]]) -> dict:
    return {p: [asdict(c) for c in items] for p, items in checks.items()}


def from_json(data: dict) -> dict[str, list[Check]]:
    return {p: [Check(**c) for c in items] for p, items in (data or {}).items()}
