"""Heroku-style output: `=== ` headers, aligned `key: value` blocks and columns, JSON when asked."""
from __future__ import annotations

import json

import click


class CliError(click.ClickException):
    """A one-line reason; `main` prints it on stderr and exits 1."""


def header(text: str) -> None:
    click.echo(f"=== {text}")


def fields(pairs: list[tuple[str, object]]) -> None:
    width = max((len(k) for k, _ in pairs), default=0) + 1
    for key, value in pairs:
        text = "" if value is None else str(value)
        click.echo(f"{key + ':':<{width}} {text}" if text else f"{key}:")


def columns(rows: list[list[object]]) -> list[str]:
    """Columns as wide as their widest cell, two spaces apart."""
    cells = [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells if i < len(row))
              for i in range(max((len(row) for row in cells), default=0))]
    return ["  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip() for row in cells]


def table(rows: list[list[object]]) -> None:
    for line in columns(rows):
        click.echo(line)


def as_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def progress(line: str) -> None:
    """A long operation's progress line: on stderr, so stdout keeps only the outcome."""
    click.echo(line, err=True)
