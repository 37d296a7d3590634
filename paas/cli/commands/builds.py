"""builds, builds:create, builds:output."""
from __future__ import annotations

import click

from paas.cli.context import Context, app_option, json_option
from paas.cli.output import CliError, as_json, header, table


def register(cli: click.Group) -> None:
    @cli.command("builds")
    @app_option
    @json_option
    @click.pass_obj
    def builds(ctx: Context, app_name, json_: bool) -> None:
        """List the app's builds, newest first."""
        app = ctx.app(app_name)
        found = ctx.client.get(f"/apps/{app}/builds")
        if json_:
            return as_json(found)
        header(f"{app} Builds")
        table([[b["id"], b["status"], b["commit"][:7], b["buildpack"] or "-",
                f"{b['duration_seconds']}s" if b["duration_seconds"] is not None else "-",
                b["started_at"]] for b in found])

    @cli.command("builds:create")
    @app_option
    @json_option
    @click.pass_obj
    def builds_create(ctx: Context, app_name, json_: bool) -> None:
        """Build the commit last pushed again and deploy it, as a push does (e.g. after a
        buildpack or stack update)."""
        app = ctx.app(app_name)
        release = ctx.client.operation("POST", f"/apps/{app}/builds", {})
        if json_:
            return as_json(release)
        click.echo(f"Built {release['commit'][:7]} again and released {app} v{release['version']}")

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
