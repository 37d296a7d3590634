"""What a request brings, checked once for every route: its JSON body and its query numbers.

Each kind of bad input has its own status: a body past the size limit 413 (werkzeug, from
MAX_CONTENT_LENGTH), a body that is not JSON 415, broken JSON 400, JSON of the wrong shape or
with fields the route does not know 422.
"""
from __future__ import annotations

import json

from flask import request

from paas.errors import BadRequest, InvalidInput, UnsupportedMediaType


def json_body(*fields: str, optional: bool = False) -> dict:
    """The body's JSON object. With `fields`, any other key is refused, so a misspelt field
    (say `verson` on a rollback) is an error rather than a default. With `optional`, an empty
    body counts as `{}`."""
    data = request.get_data(cache=True)  # raises 413 past the limit
    if optional and not data.strip():
        return {}
    if not request.is_json:
        raise UnsupportedMediaType("expected a JSON body (Content-Type: application/json)")
    try:
        body = json.loads(data)
    except ValueError as exc:  # UnicodeDecodeError is one
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidInput("expected a JSON object")
    unknown = sorted(set(body) - set(fields)) if fields else []
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0][:40]!r} (expected: {', '.join(fields)})")
    return body


def query_int(name: str, default: int | None, low: int, high: int) -> int | None:
    """A whole-number query parameter within [low, high], or the default when absent."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10) or not low <= int(raw) <= high:
        raise InvalidInput(f"{name} must be a number from {low} to {high}")
    return int(raw)
