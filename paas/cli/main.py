"""The `paas` command: Heroku-style `topic:command`s that talk to the API only.

`main(argv, env)` is the only place that decides the exit status: 0, or 1 with a one-line
reason on stderr (`paas run` passes on its command's status). `run()` is the console script.
"""
from __future__ import annotations

import os
import sys

import click
import httpx
from click.shell_completion import shell_complete

from paas.cli.commands import (app_moves, apps, auth, builds, certs, completion, domains, git, help, logs,
                               metrics, nodes, platform, processes, releases, services, storage,
                               tokens, version)
from paas.cli.context import Context


class TopicGroup(click.Group):
    """A group whose help is the topic list (`paas`, `paas help`, `paas --help` alike)."""

    def get_help(self, ctx: click.Context) -> str:
        return help.topics_text(ctx)


@click.group(cls=TopicGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """paas: git push to deploy, on your own server."""
    if ctx.invoked_subcommand is None:
        click.echo(help.topics_text(ctx))


for topic in (auth, apps, git, releases, processes, logs, domains, certs, builds, tokens, help,
              completion, version, storage, metrics, services, nodes, app_moves, platform):
    topic.register(cli)


def main(argv: list[str], env: dict[str, str] | None = None,
         transport: httpx.BaseTransport | None = None, cwd: str | None = None) -> int:
    ctx = Context(env=dict(os.environ if env is None else env), transport=transport, cwd=cwd)
    instruction = ctx.env.get(completion.COMPLETE_VAR)
    if instruction:  # the shell asks for completions (see `paas completion`)
        return shell_complete(cli, {"obj": ctx}, "paas", completion.COMPLETE_VAR, instruction)
    try:
        status = cli.main(args=argv, prog_name="paas", obj=ctx, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("paas: aborted", err=True)
        return 1
    except click.UsageError as exc:
        hint = f"{exc.ctx.command_path} --help" if exc.ctx and exc.ctx.parent else "paas help"
        click.echo(f"paas: {exc.format_message()} (see '{hint}')", err=True)
        return 1
    except click.ClickException as exc:
        click.echo(f"paas: {exc.format_message()}", err=True)
        return 1
    return status if isinstance(status, int) else 0


def run() -> None:
    sys.exit(main(sys.argv[1:]))
