"""Procfile parsing, following Dokku's grammar.

A line is `type: command`; types are `[A-Za-z0-9_-]{1,63}`; blank lines and `#` comments are
allowed; a type given twice is an error naming the line.
"""
from __future__ import annotations

import re

from paas.errors import InvalidInput

TYPE_RE = re.compile(r"[A-Za-z0-9_-]{1,63}")
MAX_SCALE = 50  # containers of one process type: by ps:scale or app.json's formation
_LINE_RE = re.compile(rf"^({TYPE_RE.pattern}):\s*(.*?)\s*$")


def parse_procfile(text: str) -> dict[str, str]:
    processes: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE_RE.match(line)
        if not match:
            raise InvalidInput(f"Procfile line {number}: expected 'type: command', got {line[:60]!r}")
        kind, command = match.groups()
        if not command:
            raise InvalidInput(f"Procfile line {number}: process type {kind!r} has no command")
        if kind in processes:
            raise InvalidInput(f"Procfile line {number}: process type {kind!r} is defined twice")
        processes[kind] = command
    return processes
