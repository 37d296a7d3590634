"""npm's semver ranges (`engines.node`) as PEP 440 specifiers, and as a check of one version.

Read as node-semver reads them: exact and partial versions (`20.1.0`, `=20.1.0`, `v20`, `20.x`,
`*`), comparators (`<`, `<=`, `>`, `>=`, also with partial versions), tilde (`~22.3.0`), caret
(`^20.1`), hyphen ranges (`18 - 20.5`), comparators joined by spaces (all must hold) and sets
joined by `||` (any may hold). Pre-release tags are refused: nothing here provides pre-releases.

A range becomes a list of alternatives (its `||` sets), each a list of (operator, version)
comparators with operators ==, >, >=, <, <=; an empty alternative admits every version.

Run with the stack's python3 by bin/compile (standard library only, Python 3.11+):
  semver_range.py pep440 RANGE            one PEP 440 specifier per alternative, one per line
  semver_range.py satisfies VERSION RANGE exit 0 when VERSION is in RANGE, 1 when not
Either exits 2 with a one-line reason on stderr when RANGE is not a range.
"""
from __future__ import annotations

import re
import sys

Version = tuple[int, int, int]
Comparator = tuple[str, Version]

_PART = r"(?:x|X|\*|0|[1-9]\d*)"
_PARTIAL = re.compile(rf"^v?({_PART})(?:\.({_PART})(?:\.({_PART})(-[0-9A-Za-z.-]+)?)?)?(?:\+[0-9A-Za-z.-]+)?$")
_OPERATOR = re.compile(r"^(<=|>=|<|>|=|~>|~|\^)?(.*)$")
_HYPHEN = re.compile(r"^(\S+)\s+-\s+(\S+)$")
_NOTHING: list[Comparator] = [("<", (0, 0, 0))]


class RangeError(ValueError):
    """Not a semver range (the message says why, in terms a package.json author knows)."""


def parse(text: str) -> list[list[Comparator]]:
    if len(text) > 256:
        raise RangeError("it is longer than 256 characters")
    return [_alternative(part.strip()) for part in text.split("||")]


def to_pep440(alternative: list[Comparator]) -> str:
    if not alternative:
        return ">=0.0.0"
    return ",".join(f"{op}{'.'.join(map(str, version))}" for op, version in alternative)


def satisfies(version: str, alternatives: list[list[Comparator]]) -> bool:
    found = _PARTIAL.match(version.strip())
    if not found or None in _numbers(found) or found.group(4):
        raise RangeError(f"{version!r} is not a release version")
    v = _numbers(found)
    return any(all(_holds(v, op, bound) for op, bound in alt) for alt in alternatives)


def _holds(v: Version, op: str, bound: Version) -> bool:
    return {"==": v == bound, ">": v > bound, ">=": v >= bound, "<": v < bound,
            "<=": v <= bound}[op]


def _alternative(text: str) -> list[Comparator]:
    hyphen = _HYPHEN.match(text)
    if hyphen:
        return _lower(_partial(hyphen.group(1))) + _upper(_partial(hyphen.group(2)))
    # node-semver allows space between an operator and its version (`>= 18`).
    tokens = re.sub(r"(<=|>=|<|>|=|~>|~|\^)\s+", r"\1", text).split()
    comparators: list[Comparator] = []
    for token in tokens:
        op, rest = _OPERATOR.match(token).groups()
        comparators += _desugar(op or "", _partial(rest))
    return comparators


def _partial(text: str) -> tuple[int | None, int | None, int | None]:
    found = _PARTIAL.match(text)
    if not found:
        raise RangeError(f"{text!r} is not a version (write e.g. 20, 20.x, 20.11.1)")
    if found.group(4):
        raise RangeError(f"{text!r} is a pre-release; only released Node.js versions are offered")
    return _numbers(found)


def _numbers(found: re.Match) -> tuple[int | None, int | None, int | None]:
    parts: list[int | None] = []
    for group in found.groups()[:3]:
        # node-semver: once a part is a wildcard (or missing), every later part is too.
        wild = group is None or group in ("x", "X", "*") or (bool(parts) and parts[-1] is None)
        parts.append(None if wild else int(group))
    return parts[0], parts[1], parts[2]


def _desugar(op: str, p: tuple[int | None, int | None, int | None]) -> list[Comparator]:
    major, minor, patch = p
    if major is None:  # `*`, `>=*`, `<=*` admit all; `>*` and `<*` admit nothing
        return _NOTHING if op in (">", "<") else []
    if op in ("", "="):
        return [("==", (major, minor, patch))] if patch is not None else _lower(p) + _upper(p)
    if op == ">":
        if patch is not None:
            return [(">", (major, minor, patch))]
        return [(">=", _next(p))]
    if op == ">=":
        return _lower(p)
    if op == "<":
        return [("<", (major, minor or 0, patch or 0))]
    if op == "<=":
        return _upper(p)
    if op in ("~", "~>"):
        return _lower(p) + [("<", (major, minor + 1, 0) if minor is not None else (major + 1, 0, 0))]
    return _lower(p) + [("<", _caret_ceiling(major, minor, patch))]


def _caret_ceiling(major: int, minor: int | None, patch: int | None) -> Version:
    """`^` allows changes that do not modify the left-most non-zero part."""
    if major > 0 or minor is None:
        return (major + 1, 0, 0)
    if minor > 0 or patch is None:
        return (0, minor + 1, 0)
    return (0, 0, patch + 1)


def _lower(p: tuple[int | None, int | None, int | None]) -> list[Comparator]:
    major, minor, patch = p
    return [] if major is None else [(">=", (major, minor or 0, patch or 0))]


def _upper(p: tuple[int | None, int | None, int | None]) -> list[Comparator]:
    major, minor, patch = p
    if major is None:
        return []
    if patch is not None:
        return [("<=", (major, minor, patch))]
    return [("<", _next(p))]


def _next(p: tuple[int | None, int | None, int | None]) -> Version:
    """The first version above every version the partial `p` names (`20` -> 21.0.0)."""
    major, minor, _ = p
    return (major + 1, 0, 0) if minor is None else (major, minor + 1, 0)


def main(argv: list[str]) -> int:
    try:
        if len(argv) == 2 and argv[0] == "pep440":
            print("\n".join(to_pep440(alt) for alt in parse(argv[1])))
            return 0
        if len(argv) == 3 and argv[0] == "satisfies":
            return 0 if satisfies(argv[1], parse(argv[2])) else 1
    except RangeError as exc:
        print(exc, file=sys.stderr)
        return 2
    print("usage: semver_range.py pep440 RANGE | satisfies VERSION RANGE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
