"""ps, ps:scale, ps:restart, resources, resources:set, run."""
from __future__ import annotations

import json

import click

from paas.cli.commands.apps import app_option
from paas.cli.context import Context
from paas.cli.output import CliError, as_json, header


def _echo_output(result: dict) -> None:
    for line in result.get("output", []):
        click.echo(line, err=True)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def register(cli: click.Group) -> None:
    register_run(cli)

    @cli.command("ps")
    @app_option
    @click.option("--json", "json_", is_flag=True, help="output JSON")
    @click.pass_obj
    def ps(ctx: Context, app_name, json_: bool) -> None:
        """List the app's processes: state, release, uptime, restarts."""
        app = ctx.app(app_name)
        found = ctx.client.get(f"/apps/{app}/ps")
        if json_:
            return as_json(found)
        header(f"{app} Processes ({', '.join(f'{k}={v}' for k, v in found['formation'].items())})")
        for p in found["processes"]:
            oom = "  OOM-killed" if p["oom_killed"] else ""
            click.echo(f"{p['name']:<12} {p['state']:<10} v{p['release']:<5} up {_age(p['uptime_seconds']):<6}"
                       f" restarts {p['restarts']}{oom}")

    @cli.command("ps:scale")
    @click.argument("changes", nargs=-1, required=True)
    @app_option
    @click.pass_obj
    def ps_scale(ctx: Context, changes: tuple[str, ...], app_name) -> None:
        """Scale process types, e.g. web=2 worker=1."""
        app = ctx.app(app_name)
        body = {}
        for change in changes:
            kind, _, number = change.partition("=")
            body[kind] = int(number) if number.isdigit() else number
        result = ctx.client.post(f"/apps/{app}/ps/scale", body)
        _echo_output(result)
        click.echo("Scaled to " + ", ".join(f"{k}={v}" for k, v in result["formation"].items()))

    @cli.command("ps:restart")
    @click.argument("process_type", required=False)
    @app_option
    @click.pass_obj
    def ps_restart(ctx: Context, process_type: str | None, app_name) -> None:
        """Restart all processes, or one type, with no downtime."""
        app = ctx.app(app_name)
        result = ctx.client.post(f"/apps/{app}/ps/restart", {"type": process_type})
        _echo_output(result)
        click.echo(f"Restarted {process_type or 'all processes'} of {app}")

    @cli.command("resources")
    @app_option
    @click.option("--json", "json_", is_flag=True, help="output JSON")
    @click.pass_obj
    def resources(ctx: Context, app_name, json_: bool) -> None:
        """Show resource limits (`*` applies to every process type)."""
        app = ctx.app(app_name)
        found = ctx.client.get(f"/apps/{app}/resources")
        if json_:
            return as_json(found)
        header(f"{app} Resources")
        for process, limits in sorted(found.items()):
            click.echo(f"{process:<10} " + " ".join(f"{k}={v}" for k, v in sorted(limits.items())))

    @cli.command("resources:set")
    @click.argument("limits", nargs=-1, required=True)
    @click.option("--process", "process_type", help="one process type (default: all)")
    @app_option
    @click.pass_obj
    def resources_set(ctx: Context, limits: tuple[str, ...], process_type: str | None, app_name) -> None:
        """Set limits, e.g. memory=512m cpus=0.5 pids=256; restarts what they apply to."""
        app = ctx.app(app_name)
        bad = [arg for arg in limits if "=" not in arg]
        if bad:
            raise CliError(f"{bad[0]!r} is not KEY=VALUE (e.g. memory=512m)")
        body = {"process": process_type,
                "limits": dict(arg.partition("=")[::2] for arg in limits)}
        result = ctx.client.call("PATCH", f"/apps/{app}/resources", body)
        _echo_output(result)
        click.echo(f"Set resources of {app} ({process_type or 'all process types'})")


def register_run(cli: click.Group) -> None:
    @cli.command("run", context_settings={"ignore_unknown_options": True})
    @app_option
    @click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
    @click.pass_obj
    def run(ctx: Context, app_name, command: tuple[str, ...]) -> None:
        """Run a one-off command in a container of the current release: paas run -- CMD ..."""
        app = ctx.app(app_name)
        for raw in ctx.client.stream_lines_post(f"/apps/{app}/run", {"command": list(command)}):
            item = json.loads(raw)
            if "line" in item:
                click.echo(item["line"])
            elif "error" in item:
                raise CliError(item["error"]["message"])
            elif "exit" in item:
                raise click.exceptions.Exit(item["exit"])
