"""Comparing the platform's release versions (PEP 440-ish "X.Y.Z", with an optional suffix).

The CLI warns when its version and the server's differ; which one is older decides the advice.
"""
from __future__ import annotations

import re

_NUMBERS = re.compile(r"^(\d+(?:\.\d+)*)")


def parse(version: str) -> tuple[int, ...] | None:
    """The numeric release of `version` ("0.2.0+local" -> (0, 2, 0)); None when it has none."""
    match = _NUMBERS.match(version.strip())
    if not match:
        return None
    numbers = tuple(int(n) for n in match.group(1).split("."))
    while len(numbers) > 1 and numbers[-1] == 0:  # 0.2 == 0.2.0
        numbers = numbers[:-1]
    return numbers


def mismatch(cli: str, server: str) -> str | None:
    """A one-line warning when the CLI and the server run different releases, else None."""
    ours, theirs = parse(cli), parse(server)
    if ours is None or theirs is None or ours == theirs:
        return None
    if ours < theirs:
        return (f"warning: this paas CLI ({cli}) is older than the server ({server}); "
                f"upgrade the CLI (pip install -U from the server's checkout)")
    return (f"warning: this paas CLI ({cli}) is newer than the server ({server}); "
            f"the operator can upgrade the server with 'make up'")
