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
    # No -r: every app command takes -r/--remote (Heroku).
    @click.option("--release", "release", metavar="vN",
                  help="only that release's lines (a failed deploy's too, kept after its containers go)")
    @click.pass_obj
    def logs(ctx: Context, app_name, num: int, tail: bool, release: str | None) -> None:
        """Show the app's logs: its processes and the platform's events, in time order."""
        app = ctx.app(app_name)
        query = f"/apps/{app}/logs?lines={num}" + ("&tail=1" if tail else "")
        if release is not None:
            number = release[1:] if release[:1] in ("v", "V") else release
            if not (number.isascii() and number.isdigit() and 0 < len(number) < 10):
                raise click.UsageError(f"invalid release {release[:40]!r}: use vN, e.g. v3")
            if tail:
                raise click.UsageError("--release and --tail cannot go together")
            query += f"&release={int(number)}"
        for line in ctx.client.stream_lines(query):
            click.echo(line)
