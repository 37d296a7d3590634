"""ps, ps:scale, ps:restart, resources, resources:set, run."""
from __future__ import annotations

import click

from paas.cli.context import Context, app_option, json_option
from paas.cli.output import CliError, as_json, header, progress, table


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def _pairs(args: tuple[str, ...], example: str) -> dict[str, str]:
    bad = [arg for arg in args if "=" not in arg]
    if bad:
        raise CliError(f"{bad[0][:40]!r} is not KEY=VALUE (e.g. {example})")
    return dict(arg.partition("=")[::2] for arg in args)


def register(cli: click.Group) -> None:
    register_run(cli)
    register_resources(cli)

    @cli.command("ps")
    @app_option
    @json_option
    @click.pass_obj
    def ps(ctx: Context, app_name, json_: bool) -> None:
        """List the app's processes: state, release, uptime, restarts."""
        app = ctx.app(app_name)
        found = ctx.client.get(f"/apps/{app}/ps")
        if json_:
            return as_json(found)
        formation = " ".join(f"{k}={v}" for k, v in sorted(found["formation"].items()))
        header(f"{app} Processes ({formation or 'none'})")
        table([[p["name"], p["state"], f"v{p['release']}",
                f"exit status {p.get('exit_status')}, next try {p.get('next_try')}"
                if p["state"] == "crashed" else f"up {_age(p['uptime_seconds'])}",
                f"restarts {p['restarts']}", "OOM-killed" if p["oom_killed"] else ""]
               + ([f"on {p['node']}"] if p.get("node") else [])
               for p in found["processes"]])

    @cli.command("ps:scale")
    @click.argument("changes", nargs=-1, required=True)
    @app_option
    @click.pass_obj
    def ps_scale(ctx: Context, changes: tuple[str, ...], app_name) -> None:
        """Scale process types, e.g. web=2 worker=1 (no release; no downtime)."""
        app = ctx.app(app_name)
        body = {k: int(v) if v.isascii() and v.isdigit() else v
                for k, v in _pairs(changes, "web=2").items()}
        result = ctx.client.operation("POST", f"/apps/{app}/ps/scale", body)
        click.echo(f"Scaling {app}... done, now " +
                   " ".join(f"{k}={v}" for k, v in sorted(result["formation"].items())))

    @cli.command("ps:restart")
    @click.argument("process_type", required=False)
    @app_option
    @click.pass_obj
    def ps_restart(ctx: Context, process_type: str | None, app_name) -> None:
        """Restart all processes, or one type, one container at a time (no downtime)."""
        app = ctx.app(app_name)
        ctx.client.operation("POST", f"/apps/{app}/ps/restart", {"type": process_type})
        click.echo(f"Restarting {process_type or 'all processes'} of {app}... done")


def register_resources(cli: click.Group) -> None:
    @cli.command("resources")
    @app_option
    @json_option
    @click.pass_obj
    def resources(ctx: Context, app_name, json_: bool) -> None:
        """Show resource limits (`*` applies to every process type)."""
        app = ctx.app(app_name)
        found = ctx.client.get(f"/apps/{app}/resources")
        if json_:
            return as_json(found)
        header(f"{app} Resources")
        table([[process, *(f"{k}={v}" for k, v in sorted(limits.items()))]
               for process, limits in sorted(found.items())])

    @cli.command("resources:set")
    @click.argument("limits", nargs=-1, required=True)
    @click.option("--process", "process_type", help="one process type (default: all)")
    @app_option
    @click.pass_obj
    def resources_set(ctx: Context, limits: tuple[str, ...], process_type: str | None, app_name) -> None:
        """Set limits, e.g. memory=512m cpus=0.5 pids=256; restarts what they apply to."""
        app = ctx.app(app_name)
        body = {"process": process_type, "limits": _pairs(limits, "memory=512m")}
        ctx.client.operation("PATCH", f"/apps/{app}/resources", body)
        click.echo(f"Setting resources of {app} ({process_type or 'all process types'})... done")


def register_run(cli: click.Group) -> None:
    @cli.command("run", context_settings={"ignore_unknown_options": True})
    @app_option
    @click.option("--timeout", type=click.IntRange(1, 86400), default=3600, show_default=True,
                  help="Seconds before the command is stopped (exit status 124).")
    @click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
    @click.pass_obj
    def run(ctx: Context, app_name, timeout: int, command: tuple[str, ...]) -> None:
        """Run a one-off command in a container of the current release: paas run -- CMD ...
        Its output is printed as it comes, and its exit status is paas's."""
        app = ctx.app(app_name)
        result = ctx.client.operation("POST", f"/apps/{app}/run",
                                      {"command": list(command), "timeout": timeout},
                                      on_line=click.echo)
        raise click.exceptions.Exit(result["exit"])
