"""tokens, tokens:create, tokens:revoke."""
from __future__ import annotations

import click

from paas.cli.context import Context, json_option
from paas.cli.output import CliError, as_json, header, table
from paas.domain.names import APP_NAME_RE


def register(cli: click.Group) -> None:
    @cli.command("tokens")
    @json_option
    @click.pass_obj
    def tokens(ctx: Context, json_: bool) -> None:
        """List API tokens: role, apps, who made each, last use (values are never shown again)."""
        found = ctx.client.get("/tokens")
        if json_:
            return as_json(found)
        header("API Tokens")
        table([[t["name"], t["role"], ",".join(t["apps"]) or "(all)", t["created_by"] or "",
                t["created_at"], t["last_used"] or "never"] for t in found])

    @cli.command("tokens:create")
    @click.argument("name")
    @click.option("--admin", is_flag=True, help="A token that may do everything.")
    @click.option("--app", "apps", multiple=True, metavar="APP",
                  help="An app the token may use (repeat for more); nothing else.")
    @json_option
    @click.pass_obj
    def tokens_create(ctx: Context, name: str, admin: bool, apps: tuple[str, ...],
                      json_: bool) -> None:
        """Make a named token, --admin or for --app A [--app B]; its value is printed this once
        (alone on stdout)."""
        if admin == bool(apps):
            raise click.UsageError("pass --admin, or --app APP (once per app), not both")
        body = {"name": name, "admin": True} if admin else {"name": name, "apps": list(apps)}
        made = ctx.client.post("/tokens", body)
        if json_:
            return as_json(made)
        click.echo(f"Created token {name}; its value is shown this once:", err=True)
        click.echo(made["token"])

    @cli.command("tokens:revoke")
    @click.argument("name")
    @click.pass_obj
    def tokens_revoke(ctx: Context, name: str) -> None:
        """Revoke a token and every token it made: they stop working at once."""
        if not APP_NAME_RE.fullmatch(name):  # token names are shaped like app names
            raise CliError(f"no token named {name[:40]!r}")
        gone = ctx.client.delete(f"/tokens/{name}")
        also = (gone.get("also_revoked") or []) if isinstance(gone, dict) else []
        click.echo(f"Revoking token {name}... done"
                   + (f" (and the tokens it made: {', '.join(also)})" if also else ""))
