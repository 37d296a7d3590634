"""services, services:create|info|destroy|logs|link|unlink|backups|backup|restore|export|import:
Postgres and Redis datastores, their links to apps, their backups."""
from __future__ import annotations

import sys

import click
import httpx

from paas.cli.client import _answer, seg
from paas.cli.context import Context, app_option, json_option
from paas.cli.output import CliError, as_json, fields, header, table


def _size(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


def _raw(ctx: Context, path: str) -> httpx.Response:
    try:
        resp = ctx.client.http.get(path)
    except httpx.HTTPError as exc:
        raise CliError(f"cannot reach the paas API: {exc}") from None
    if resp.status_code >= 400:
        _answer(resp)
    return resp


def register(cli: click.Group) -> None:
    register_connect(cli)

    @cli.command("services")
    @json_option
    @click.pass_obj
    def services(ctx: Context, json_: bool) -> None:
        """List Postgres and Redis services: kind, version, state, size, linked apps."""
        found = ctx.client.get("/services")
        if json_:
            return as_json(found)
        header("Services")
        on_nodes = any(s.get("node") for s in found)  # swarm: the node each one is bound to
        table([["NAME", "KIND", "VERSION", "STATE", "SIZE", "LINKED APPS"]
               + (["NODE"] if on_nodes else [])] + [
            [s["name"], s["kind"], s["version"], s["state"], _size(s["size_bytes"]),
             ", ".join(f"{l['app']} ({l['var']})" for l in s["links"])]
            + ([s.get("node") or ""] if on_nodes else []) for s in found])

    @cli.command("services:create")
    @click.argument("kind", type=click.Choice(["postgres", "redis"]))
    @click.argument("name")
    @click.pass_obj
    def services_create(ctx: Context, kind: str, name: str) -> None:
        """Create a Postgres or Redis service."""
        made = ctx.client.operation("POST", "/services", {"kind": kind, "name": name})
        click.echo(f"Creating {kind} {made['version']} service {name}... done")
        click.echo(f"Link it to an app with: paas services:link {name} -a APP")

    @cli.command("services:info")
    @click.argument("name")
    @json_option
    @click.pass_obj
    def services_info(ctx: Context, name: str, json_: bool) -> None:
        """Show one service (its URL only to tokens allowed on a linked app)."""
        s = ctx.client.get(f"/services/{seg(name)}")
        if json_:
            return as_json(s)
        header(s["name"])
        fields([("Kind", s["kind"]), ("Version", s["version"]), ("State", s["state"]),
                ("Size", _size(s["size_bytes"])), ("Created", s["created_at"]),
                ("Linked apps", ", ".join(f"{l['app']} ({l['var']})" for l in s["links"])),
                ("URL", s["url"])] + ([("Node", s["node"])] if s.get("node") else []))

    @cli.command("services:destroy")
    @click.argument("name")
    @click.option("--confirm", metavar="NAME", help="the service's name, to confirm")
    @click.option("--unlink", is_flag=True, help="unlink its apps first")
    @click.pass_obj
    def services_destroy(ctx: Context, name: str, confirm: str | None, unlink: bool) -> None:
        """Destroy a service and its data, after a final backup."""
        if confirm is None and sys.stdin.isatty():
            confirm = click.prompt(f" !    To destroy {name} and its data, type {name} or "
                                   f"re-run with --confirm {name}", default="",
                                   show_default=False, err=True)
        if confirm != name:
            raise CliError(f"this destroys {name} and its data: run again with --confirm {name}")
        result = ctx.client.operation(
            "DELETE", f"/services/{seg(name)}?confirm={seg(name)}&unlink={int(unlink)}")
        kept = f" (final backup {result['final_backup']} kept)" if result["final_backup"] else ""
        click.echo(f"Destroying {name}... done{kept}")

    @cli.command("services:logs")
    @click.argument("name")
    @click.option("-n", "--num", default=100, type=click.IntRange(1, 10000), help="lines")
    @click.pass_obj
    def services_logs(ctx: Context, name: str, num: int) -> None:
        """Show the service's recent log lines."""
        click.echo(_raw(ctx, f"/services/{seg(name)}/logs?lines={num}").text, nl=False)

    @cli.command("services:link")
    @click.argument("name")
    @app_option
    @click.option("--as", "as_var", metavar="VAR", help="the config var (default DATABASE_URL "
                  "or REDIS_URL)")
    @click.pass_obj
    def services_link(ctx: Context, name: str, app_name, as_var: str | None) -> None:
        """Link a service to an app: sets its URL as a config var (one release)."""
        app = ctx.app(app_name)
        result = ctx.client.operation("POST", f"/services/{seg(name)}/links",
                                      {"app": app, "as": as_var})
        _report(app, f"Linking {name} to {app} as {result['var']}", result)

    @cli.command("services:unlink")
    @click.argument("name")
    @app_option
    @click.pass_obj
    def services_unlink(ctx: Context, name: str, app_name) -> None:
        """Unlink a service from an app: unsets its config var (one release)."""
        app = ctx.app(app_name)
        result = ctx.client.operation("DELETE", f"/services/{seg(name)}/links/{seg(app)}")
        _report(app, f"Unlinking {name} from {app}", result)

    @cli.command("services:backups")
    @click.argument("name")
    @json_option
    @click.pass_obj
    def services_backups(ctx: Context, name: str, json_: bool) -> None:
        """List a service's backups, newest first."""
        found = ctx.client.get(f"/services/{seg(name)}/backups")
        if json_:
            return as_json(found)
        header(f"{name} Backups")
        table([["ID", "SIZE", "TAKEN"]] +
              [[b["id"], _size(b["size_bytes"]), b["created_at"]] for b in found])

    @cli.command("services:backup")
    @click.argument("name")
    @click.pass_obj
    def services_backup(ctx: Context, name: str) -> None:
        """Back up a service now (pg_dump -Fc, or a Redis RDB snapshot)."""
        made = ctx.client.post(f"/services/{seg(name)}/backups")
        click.echo(f"Backing up {name}... done, {made['id']} ({_size(made['size_bytes'])})")

    @cli.command("services:restore")
    @click.argument("name")
    @click.argument("backup")
    @click.pass_obj
    def services_restore(ctx: Context, name: str, backup: str) -> None:
        """Restore a backup; the data it replaces is backed up first."""
        result = ctx.client.operation("POST", f"/services/{seg(name)}/backups/{seg(backup)}/restore")
        click.echo(f"Restoring {backup} into {name}... done; the data it replaced is backup "
                   f"{result['replaced']}")

    @cli.command("services:export")
    @click.argument("name")
    @click.argument("backup", required=False)
    @click.pass_obj
    def services_export(ctx: Context, name: str, backup: str | None) -> None:
        """Write a backup (default: a new one) to stdout: paas services:export NAME > FILE."""
        if backup is None:
            backup = ctx.client.post(f"/services/{seg(name)}/backups")["id"]
        try:
            with ctx.client.http.stream("GET", f"/services/{seg(name)}/backups/{seg(backup)}") as resp:
                if resp.status_code >= 400:
                    resp.read()
                    _answer(resp)
                out = sys.stdout.buffer
                for chunk in resp.iter_bytes():
                    out.write(chunk)
                out.flush()
        except httpx.HTTPError as exc:
            raise CliError(f"lost the paas API: {exc}") from None
        click.echo(f"Exported {backup}", err=True)

    @cli.command("services:import")
    @click.argument("name")
    @click.pass_obj
    def services_import(ctx: Context, name: str) -> None:
        """Read a backup from stdin and keep it: paas services:import NAME < FILE."""
        made = ctx.client.upload(f"/services/{seg(name)}/backups/upload", sys.stdin.buffer,
                                 "application/octet-stream")
        click.echo(f"Importing into {name}... done, {made['id']} ({_size(made['size_bytes'])}); "
                   f"restore it with: paas services:restore {name} {made['id']}")


def _report(app: str, doing: str, result: dict) -> None:
    release = result["release"]
    where = f"restarting {app}... done, v{release['version']}" if release else \
        f"saved for {app}'s first deploy"
    click.echo(f"{doing} and {where}")


def register_connect(cli: click.Group) -> None:
    @cli.command("services:connect")
    @click.argument("name")
    @click.pass_obj
    def services_connect(ctx: Context, name: str) -> None:
        """psql / redis-cli on the service's own network: pipe a script in
        (echo 'SELECT 1;' | paas services:connect db), or type statements at a terminal.
        The exit status is the client's."""
        path = f"/services/{seg(name)}/connect"

        def run(script: str) -> int:
            result = ctx.client.operation("POST", path, {"input": script}, on_line=click.echo)
            return int(result.get("exit", 1))

        stdin = click.get_text_stream("stdin")
        if not stdin.isatty():
            raise click.exceptions.Exit(run(stdin.read()))
        click.echo(f"Connected to {name}: each statement runs in a session of its own on the "
                   "service's network. \\q or Ctrl-D quits.", err=True)
        status = 0
        pending = ""
        while True:
            try:
                line = click.prompt(f"{name}{'*' if pending else ''}>", prompt_suffix=" ",
                                    default="", show_default=False, err=True)
            except (EOFError, click.exceptions.Abort):
                break
            if line.strip() in ("\\q", "quit", "exit") and not pending:
                break
            pending += line + "\n"
            if _complete(pending):
                status = run(pending)
                pending = ""
        raise click.exceptions.Exit(status)


def _complete(text: str) -> bool:
    """A typed statement is sent when it ends with ';' (SQL), is a psql backslash command, or
    is any one line for redis-cli (no ';' needed there: a line without one that looks like a
    Redis command is sent too)."""
    stripped = text.strip()
    if not stripped:
        return False
    if stripped.endswith(";") or stripped.startswith("\\"):
        return True
    first = stripped.split()[0].upper()
    return "\n" not in stripped and first not in _SQL_STARTS


_SQL_STARTS = {"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "WITH",
               "BEGIN", "COMMIT", "TRUNCATE", "GRANT", "REVOKE", "EXPLAIN", "VALUES", "TABLE",
               "COPY", "ANALYZE", "VACUUM"}
