"""What the dashboard's views share: the use cases, running a change and showing its outcome
after the redirect (flash), and times as the templates print them."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from flask import flash, get_flashed_messages, redirect

from paas.errors import PaasError
from paas.ports import LineWriter
from paas.server.auth import services  # noqa: F401  (the views' one way to the use cases)

# Flashed messages travel in the session cookie, which browsers cap near 4 KiB.
OUTPUT_LINES = 12
LINE_CHARS = 160


def act(back: str, work: Callable[[LineWriter], str], then: str | None = None):
    """Run a change synchronously (as the API does), then redirect to `back` (or, when it
    worked, to `then`) with its outcome: the message `work` returns, or the error's; with the
    last lines it wrote either way."""
    lines: list[str] = []
    try:
        message = work(lines.append)
    except PaasError as exc:
        _flash("error", exc.message, exc.output or lines)
        return redirect(back, 303)
    _flash("ok", message, lines)
    return redirect(then or back, 303)


def _flash(category: str, message: str, output: list[str]) -> None:
    tail = [line[:LINE_CHARS] for line in output[-OUTPUT_LINES:]]
    flash({"message": message, "output": tail}, category)


def flashed() -> list[tuple[str, str, list[str]]]:
    """(category, message, output lines) of the messages waiting for this page."""
    found = []
    for category, item in get_flashed_messages(with_categories=True):
        if isinstance(item, dict):
            found.append((category, str(item.get("message", "")), list(item.get("output", []))))
        else:
            found.append((category, str(item), []))
    return found


def ago_iso(when: float | str | None) -> str:
    """An ISO 8601 UTC time for `<time datetime>`; the page's script shows it as '3 min ago'."""
    try:
        if isinstance(when, str):  # Docker's own format, e.g. 2030-01-01T00:00:01.123456789Z
            stamp = datetime.fromisoformat(when[:26].rstrip("Z") + "+00:00")
        else:
            stamp = datetime.fromtimestamp(when or 0, timezone.utc)
    except (ValueError, OverflowError, OSError):
        return ""
    # Docker says 0001-01-01 for "never"; 0 is the store's "not yet".
    return stamp.isoformat(timespec="seconds") if stamp.year > 1970 else ""
