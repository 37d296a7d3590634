"""storage, storage:mount, storage:unmount, storage:destroy: an app's named volumes."""
from __future__ import annotations

import sys

import click

from paas.cli.client import seg
from paas.cli.context import Context, app_option, json_option
from paas.cli.output import CliError, as_json, header, table


def register(cli: click.Group) -> None:
    @cli.command("storage")
    @app_option
    @json_option
    @click.pass_obj
    def storage(ctx: Context, app_name, json_: bool) -> None:
        """List the app's named volumes and where they are mounted."""
        app = ctx.app(app_name)
        found = ctx.client.get(f"/apps/{app}/storage")
        if json_:
            return as_json(found)
        header(f"{app} Volumes")
        on_nodes = any(v.get("node") for v in found)  # swarm: the node holding each one
        table([["NAME", "MOUNTED AT", "CREATED"] + (["NODE"] if on_nodes else [])] +
              [[v["name"], v["path"] or "(unmounted)", v["created_at"]] +
               ([v.get("node") or ""] if on_nodes else []) for v in found])

    @cli.command("storage:mount")
    @click.argument("mount", metavar="NAME:/PATH")
    @app_option
    @click.pass_obj
    def storage_mount(ctx: Context, mount: str, app_name) -> None:
        """Mount a named volume in every process: one release, one restart."""
        app = ctx.app(app_name)
        result = ctx.client.operation("POST", f"/apps/{app}/storage/mounts", {"mount": mount})
        _report(app, f"Mounting {mount}", result)

    @cli.command("storage:unmount")
    @click.argument("name")
    @app_option
    @click.pass_obj
    def storage_unmount(ctx: Context, name: str, app_name) -> None:
        """Unmount a volume (its data stays): one release, one restart."""
        app = ctx.app(app_name)
        result = ctx.client.operation("DELETE", f"/apps/{app}/storage/mounts/{seg(name)}")
        _report(app, f"Unmounting {name}", result)

    @cli.command("storage:destroy")
    @click.argument("name")
    @app_option
    @click.option("--confirm", metavar="APP", help="the app's name, to confirm")
    @click.pass_obj
    def storage_destroy(ctx: Context, name: str, app_name, confirm: str | None) -> None:
        """Destroy an unmounted volume and its data."""
        app = ctx.app(app_name)
        if confirm is None and sys.stdin.isatty():
            confirm = click.prompt(f" !    To destroy volume {name} of {app} and its data, type "
                                   f"{app} or re-run with --confirm {app}", default="",
                                   show_default=False, err=True)
        if confirm != app:
            raise CliError(f"this deletes volume {name}'s data: run again with --confirm {app}")
        ctx.client.delete(f"/apps/{app}/storage/{seg(name)}?confirm={seg(app)}")
        click.echo(f"Destroying volume {name} of {app}... done")


def _report(app: str, doing: str, result: dict) -> None:
    release = result["release"]
    where = f"restarting {app}... done, v{release['version']}" if release else \
        f"saved for {app}'s first deploy"
    click.echo(f"{doing} and {where}")
