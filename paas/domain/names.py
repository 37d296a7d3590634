"""Validation of the names users choose: app names. One boundary, one rule, one message."""
from __future__ import annotations

import re

from paas.errors import InvalidInput

APP_NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,29}")


def validate_app_name(name: object) -> str:
    """Return the name when it is a valid app name, else raise InvalidInput with one line."""
    if not isinstance(name, str) or not APP_NAME_RE.fullmatch(name):
        shown = name if isinstance(name, str) and len(name) <= 40 else (
            f"{str(name)[:40]}..." if isinstance(name, str) else repr(name))
        raise InvalidInput(
            f"invalid app name {shown!r}: use 1 to 30 characters, lowercase letters, digits and "
            "'-', starting with a letter"
        )
    return name


_LABEL_RE = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def validate_domain(domain: object) -> str:
    """A host name nginx may serve: lowercase labels of letters, digits and '-', dot-separated,
    at least two labels, 253 characters at most; a leading '*.' wildcard is allowed."""
    text = domain.lower().rstrip(".") if isinstance(domain, str) else ""
    labels = text.split(".")
    if labels and labels[0] == "*":
        labels = labels[1:]
    if not (3 <= len(text) <= 253 and len(labels) >= 2 and all(_LABEL_RE.fullmatch(l) for l in labels)):
        shown = domain[:60] if isinstance(domain, str) else repr(domain)
        raise InvalidInput(f"invalid domain {shown!r}: use a host name like www.example.com")
    return text
