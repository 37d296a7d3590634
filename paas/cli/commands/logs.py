"""logs."""
from __future__ import annotations

import click

from paas.cli.context import Context, app_option


def register(cli: click.Group) -> None:
    @cli.command("logs")
    @app_option
    @click.option("-n", "--num", default=100, show_default=True, type=click.IntRange(1, 10000),
                  help="how many lines")
    @click.option("-t", "--tail", is_flag=True, help="keep following new lines")
    @click.pass_obj
    def logs(ctx: Context, app_name, num: int, tail: bool) -> None:
        """Show the app's logs: its processes and the platform's events, in time order."""
        app = ctx.app(app_name)
        query = f"/apps/{app}/logs?lines={num}" + ("&tail=1" if tail else "")
        for line in ctx.client.stream_lines(query):
            click.echo(line)
