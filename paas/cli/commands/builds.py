"""builds, builds:output."""
from __future__ import annotations

import click

from paas.cli.commands.apps import app_option
from paas.cli.context import Context
from paas.cli.output import CliError, as_json, header


def register(cli: click.Group) -> None:
    @cli.command("builds")
    @app_option
    @click.option("--json", "json_", is_flag=True, help="output JSON")
    @click.pass_obj
    def builds(ctx: Context, app_name, json_: bool) -> None:
        """List the app's builds, newest first."""
        app = ctx.app(app_name)
        found = ctx.client.get(f"/apps/{app}/builds")
        if json_:
            return as_json(found)
        header(f"{app} Builds")
        for b in found:
            took = f"{b['duration_seconds']}s" if b["duration_seconds"] is not None else "-"
            click.echo(f"{b['id']:<5} {b['status']:<10} {b['commit'][:7]}  {b['buildpack'] or '-':<8} "
                       f"{took:>7}  {b['started_at']}")

    @cli.command("builds:output")
    @click.argument("build_id", required=False, type=int)
    @app_option
    @click.pass_obj
    def builds_output(ctx: Context, build_id: int | None, app_name) -> None:
        """Print a build's full log (default: the newest build)."""
        app = ctx.app(app_name)
        if build_id is None:
            found = ctx.client.get(f"/apps/{app}/builds")
            if not found:
                raise CliError(f"{app} has no builds yet")
            build_id = found[0]["id"]
        click.echo(ctx.client.get(f"/apps/{app}/builds/{build_id}")["output"])
