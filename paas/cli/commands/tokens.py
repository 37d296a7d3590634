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
        """List API tokens (names only; values are never shown again)."""
        found = ctx.client.get("/tokens")
        if json_:
            return as_json(found)
        header("API Tokens")
        table([[t["name"], t["created_at"]] for t in found])

    @cli.command("tokens:create")
    @click.argument("name")
    @json_option
    @click.pass_obj
    def tokens_create(ctx: Context, name: str, json_: bool) -> None:
        """Make a named token; its value is printed this once (alone on stdout)."""
        made = ctx.client.post("/tokens", {"name": name})
        if json_:
            return as_json(made)
        click.echo(f"Created token {name}; its value is shown this once:", err=True)
        click.echo(made["token"])

    @cli.command("tokens:revoke")
    @click.argument("name")
    @click.pass_obj
    def tokens_revoke(ctx: Context, name: str) -> None:
        """Revoke a token: it stops working at once."""
        if not APP_NAME_RE.fullmatch(name):  # token names are shaped like app names
            raise CliError(f"no token named {name[:40]!r}")
        ctx.client.delete(f"/tokens/{name}")
        click.echo(f"Revoking token {name}... done")
