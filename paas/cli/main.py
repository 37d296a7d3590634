"""The `paas` command: Heroku-style `topic:command`s that talk to the API only.

`main(argv, env)` is the only place that decides the exit status; `run()` is the console script.
"""
from __future__ import annotations

import os
import sys

import click
import httpx

from paas.cli.commands import (apps, auth, builds, domains, git, logs, processes, releases,
                               tokens)
from paas.cli.context import Context


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """paas: git push to deploy, on your own server."""


for topic in (auth, apps, git, releases, processes, logs, domains, builds, tokens):
    topic.register(cli)


def main(argv: list[str], env: dict[str, str] | None = None,
         transport: httpx.BaseTransport | None = None, cwd: str | None = None) -> int:
    ctx = Context(env=dict(os.environ if env is None else env), transport=transport, cwd=cwd)
    try:
        status = cli.main(args=argv, prog_name="paas", obj=ctx, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.ClickException as exc:
        click.echo(f"paas: {exc.format_message()}", err=True)
        return exc.exit_code if isinstance(exc, click.UsageError) else 1
    return status if isinstance(status, int) else 0  # `paas run` passes its command's status


def run() -> None:
    sys.exit(main(sys.argv[1:]))
