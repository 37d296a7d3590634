"""releases, releases:info, releases:rollback, and config, config:get/set/unset."""
from __future__ import annotations

import json
import shlex

import click

from paas.cli.client import seg
from paas.cli.context import Context, app_option, json_option
from paas.cli.output import CliError, as_json, fields, header, table
from paas.domain.config import parse_assignments
from paas.errors import InvalidInput


def register(cli: click.Group) -> None:
    register_config(cli)

    @cli.command("releases")
    @app_option
    @click.option("-n", "--num", default=15, show_default=True, type=click.IntRange(1, 10000),
                  help="how many")
    @json_option
    @click.pass_obj
    def releases(ctx: Context, app_name, num: int, json_: bool) -> None:
        """List the app's releases, newest first."""
        app = ctx.app(app_name)
        found = ctx.client.get(f"/apps/{app}/releases?limit={num}")
        if json_:
            return as_json(found)
        current = next((r["version"] for r in found if r["status"] == "succeeded"), None)
        header(f"{app} Releases" + (f" - Current: v{current}" if current else ""))
        table([[f"v{r['version']}", r["description"],
                "" if r["status"] == "succeeded" else r["status"], r["created_by"], r["created_at"]]
               for r in found])

    @cli.command("releases:info")
    @click.argument("version")
    @app_option
    @json_option
    @click.pass_obj
    def releases_info(ctx: Context, version: str, app_name, json_: bool) -> None:
        """Show a release and what it changed (config values are never shown)."""
        app = ctx.app(app_name)
        r = ctx.client.get(f"/apps/{app}/releases/{seg(version)}")
        if json_:
            return as_json(r)
        c = r["changes"]
        commits = "..".join(x[:7] for x in c["commit_range"]) if c["commit_range"] else "unchanged"
        header(f"Release v{r['version']}")
        fields([
            ("Description", r["description"]), ("Status", r["status"]), ("By", r["created_by"]),
            ("When", r["created_at"]), ("Commit", r["commit"][:7]), ("Commits", commits),
            ("Image", r["image"]), ("Config added", ", ".join(c["config_added"]) or "-"),
            ("Config removed", ", ".join(c["config_removed"]) or "-"),
            ("Config changed", ", ".join(c["config_changed"]) or "-"),
        ])

    @cli.command("releases:rollback")
    @click.argument("version", required=False)
    @app_option
    @click.pass_obj
    def releases_rollback(ctx: Context, version: str | None, app_name) -> None:
        """Roll back to vN (default: the previous release): its code and its config."""
        app = ctx.app(app_name)
        r = ctx.client.operation("POST", f"/apps/{app}/releases/rollback", {"version": version})
        click.echo(f"Rolled back {app}: {r['description']}, now v{r['version']}")
        if r.get("previous_version"):
            click.echo(f"To undo: paas releases:rollback v{r['previous_version']} -a {app}")


def register_config(cli: click.Group) -> None:
    @cli.command("config")
    @app_option
    @click.option("--shell", is_flag=True, help="KEY='value' lines for a shell")
    @json_option
    @click.pass_obj
    def config(ctx: Context, app_name, shell: bool, json_: bool) -> None:
        """Show the app's config vars."""
        app = ctx.app(app_name)
        found = ctx.client.get(f"/apps/{app}/config")
        if json_:
            return as_json(found)
        if shell:
            for key, value in found.items():
                click.echo(f"{key}={shlex.quote(value)}")
            return
        header(f"{app} Config Vars")
        fields([(k, json.dumps(v, ensure_ascii=False) if "\n" in v else v) for k, v in found.items()])

    @cli.command("config:get")
    @click.argument("key")
    @app_option
    @click.pass_obj
    def config_get(ctx: Context, key: str, app_name) -> None:
        """Print one value (an empty line when unset)."""
        click.echo(ctx.client.get(f"/apps/{ctx.app(app_name)}/config").get(key, ""))

    @cli.command("config:set")
    @click.argument("pairs", nargs=-1, required=True)
    @app_option
    @click.pass_obj
    def config_set(ctx: Context, pairs: tuple[str, ...], app_name) -> None:
        """Set KEY=VALUE pairs: one release, one restart."""
        try:
            changes = parse_assignments(list(pairs))
        except InvalidInput as exc:
            raise CliError(exc.message) from None
        app = ctx.app(app_name)
        result = ctx.client.operation("PATCH", f"/apps/{app}/config", changes)
        _report(app, f"Setting {', '.join(changes)}", result)

    @cli.command("config:unset")
    @click.argument("keys", nargs=-1, required=True)
    @app_option
    @click.pass_obj
    def config_unset(ctx: Context, keys: tuple[str, ...], app_name) -> None:
        """Remove config vars: one release, one restart."""
        app = ctx.app(app_name)
        result = ctx.client.operation("PATCH", f"/apps/{app}/config", {k: None for k in keys})
        _report(app, f"Unsetting {', '.join(keys)}", result)


def _report(app: str, doing: str, result: dict) -> None:
    release = result["release"]
    where = f"restarting {app}... done, v{release['version']}" if release else \
        f"saved for {app}'s first deploy"
    click.echo(f"{doing} and {where}")
