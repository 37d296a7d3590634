"""Heroku-style output: `=== ` headers, aligned `key: value` blocks, JSON when asked."""
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
        click.echo(f"{key + ':':<{width}} {'' if value is None else value}")


def as_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))
