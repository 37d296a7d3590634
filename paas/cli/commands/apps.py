"""apps, apps:create, apps:info, apps:destroy, open."""
from __future__ import annotations

import sys

import click

from paas.cli.context import Context, app_option, json_option
from paas.cli.output import CliError, as_json, fields, header, table


def rate_row(app: dict) -> list[str]:
    """An app's line in `paas apps`: its name, then '-' for figures the platform does not
    collect (metrics off, or an API from before they were listed)."""
    rates = app.get("rates")
    if not rates:
        return [app["name"], "-", "-"]
    return [app["name"], f"{rates['requests_per_minute']:g}", f"{rates['error_rate'] * 100:.1f}%"]


def register(cli: click.Group) -> None:
    @cli.command("apps")
    @json_option
    @click.pass_obj
    def apps_list(ctx: Context, json_: bool) -> None:
        """List apps, with each one's requests per minute and 5xx share over the last
        5 minutes."""
        apps = ctx.client.get("/apps")
        if json_:
            return as_json(apps)
        header("Apps")
        if apps:
            table([["NAME", "REQ/MIN (5M)", "ERRORS (5M)"]] + [rate_row(a) for a in apps])

    @cli.command("apps:create")
    @click.argument("name")
    @json_option
    @click.pass_obj
    def apps_create(ctx: Context, name: str, json_: bool) -> None:
        """Create an app (then: paas git:remote -a NAME; git push paas main)."""
        app = ctx.client.post("/apps", {"name": name})
        info = ctx.client.get(f"/apps/{app['name']}")
        if json_:
            return as_json(info)
        click.echo(f"Creating {name}... done")
        click.echo(f"{info['url']} | {info['git_url']}")

    @cli.command("apps:info")
    @app_option
    @json_option
    @click.pass_obj
    def apps_info(ctx: Context, app_name: str | None, json_: bool) -> None:
        """Show an app's URL, git URL, release and processes."""
        info = ctx.client.get(f"/apps/{ctx.app(app_name)}")
        if json_:
            return as_json(info)
        release = info["release"]
        header(info["name"])
        fields([
            ("Web URL", info["url"]),
            ("Git URL", info["git_url"]),
            ("Release", f"v{release['version']} ({release['description']})" if release else "none yet"),
            ("Formation", " ".join(f"{k}={v}" for k, v in sorted(info["formation"].items())) or "-"),
            ("Processes", ", ".join(f"{p['name']} {p['state']}" for p in info["processes"]) or "none"),
            ("Created", info["created_at"]),
        ])

    @cli.command("apps:destroy")
    @app_option
    @click.option("--confirm", metavar="APP", help="the app's name, to confirm")
    @click.pass_obj
    def apps_destroy(ctx: Context, app_name: str | None, confirm: str | None) -> None:
        """Destroy an app and everything it has: containers, images, network, volumes,
        build cache, nginx file, repository, config and releases."""
        name = ctx.app(app_name)
        if confirm is None and sys.stdin.isatty():
            click.echo(f" !    This destroys {name} and everything it has, for good.", err=True)
            confirm = click.prompt(f" !    To proceed, type {name} or re-run this command with "
                                   f"--confirm {name}", default="", show_default=False, err=True)
        if confirm != name:
            raise CliError(f"this destroys {name} for good: run again with --confirm {name}")
        result = ctx.client.delete(f"/apps/{name}")
        click.echo(f"Destroying {name} (containers, images, network, volumes, repository, "
                   "config, releases)... done")
        remaining = (result or {}).get("services_remaining") or []
        if remaining:
            click.echo(f"Unlinked services that remain: {', '.join(remaining)} "
                       "(paas services:destroy NAME removes one)")

    @cli.command("open")
    @app_option
    @click.pass_obj
    def open_(ctx: Context, app_name: str | None) -> None:
        """Print the app's URL."""
        click.echo(ctx.client.get(f"/apps/{ctx.app(app_name)}")["url"])
