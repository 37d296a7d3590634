"""releases, releases:info, releases:rollback, and config, config:get/set/unset."""
from __future__ import annotations

import json
import shlex

import click

from paas.cli.commands.apps import app_option
from paas.cli.context import Context
from paas.cli.output import CliError, as_json, fields, header
from paas.domain.config import parse_assignments
from paas.errors import InvalidInput


def _release_line(r: dict) -> str:
    status = "" if r["status"] == "succeeded" else f" ({r['status']})"
    return f"v{r['version']:<4} {r['description']}{status}  {r['created_by']}  {r['created_at']}"


def _show_output(result: dict) -> None:
    for line in result.get("output", []):
        click.echo(line, err=True)


def register(cli: click.Group) -> None:
    @cli.command("releases")
    @app_option
    @click.option("-n", "--num", default=15, show_default=True, help="how many")
    @click.option("--json", "json_", is_flag=True, help="output JSON")
    @click.pass_obj
    def releases(ctx: Context, app_name, num: int, json_: bool) -> None:
        """List the app's releases, newest first."""
        app = ctx.app(app_name)
        found = ctx.client.get(f"/apps/{app}/releases?limit={num}")
        if json_:
            return as_json(found)
        header(f"{app} Releases")
        for r in found:
            click.echo(_release_line(r))

    @cli.command("releases:info")
    @click.argument("version")
    @app_option
    @click.option("--json", "json_", is_flag=True, help="output JSON")
    @click.pass_obj
    def releases_info(ctx: Context, version: str, app_name, json_: bool) -> None:
        """Show a release and what it changed (config values are never shown)."""
        app = ctx.app(app_name)
        r = ctx.client.get(f"/apps/{app}/releases/{version}")
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
        r = ctx.client.post(f"/apps/{app}/releases/rollback", {"version": version})
        _show_output(r)
        click.echo(f"Rolled back {app}: {r['description']}, now v{r['version']}")
        if r.get("previous_version"):
            click.echo(f"To undo: paas releases:rollback v{r['previous_version']} -a {app}")

    @cli.command("config")
    @app_option
    @click.option("--shell", is_flag=True, help="KEY='value' lines for a shell")
    @click.option("--json", "json_", is_flag=True, help="output JSON")
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
        result = ctx.client.call("PATCH", f"/apps/{app}/config", changes)
        _report(app, f"Setting {', '.join(changes)}", result)

    @cli.command("config:unset")
    @click.argument("keys", nargs=-1, required=True)
    @app_option
    @click.pass_obj
    def config_unset(ctx: Context, keys: tuple[str, ...], app_name) -> None:
        """Remove config vars: one release, one restart."""
        app = ctx.app(app_name)
        result = ctx.client.call("PATCH", f"/apps/{app}/config", {k: None for k in keys})
        _report(app, f"Unsetting {', '.join(keys)}", result)


def _report(app: str, doing: str, result: dict) -> None:
    _show_output(result)
    release = result["release"]
    where = f"restarting {app}... done, v{release['version']}" if release else \
        f"saved for {app}'s first deploy"
    click.echo(f"{doing} and {where}")
