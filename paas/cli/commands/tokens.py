"""tokens, tokens:create, tokens:revoke."""
from __future__ import annotations

import click

from paas.cli.context import Context
from paas.cli.output import as_json, header


def register(cli: click.Group) -> None:
    @cli.command("tokens")
    @click.option("--json", "json_", is_flag=True, help="output JSON")
    @click.pass_obj
    def tokens(ctx: Context, json_: bool) -> None:
        """List API tokens (names only; values are never shown again)."""
        found = ctx.client.get("/tokens")
        if json_:
            return as_json(found)
        header("API Tokens")
        for t in found:
            click.echo(f"{t['name']:<30} {t['created_at']}")

    @cli.command("tokens:create")
    @click.argument("name")
    @click.pass_obj
    def tokens_create(ctx: Context, name: str) -> None:
        """Make a named token; its value is printed this once."""
        click.echo(ctx.client.post("/tokens", {"name": name})["token"])

    @cli.command("tokens:revoke")
    @click.argument("name")
    @click.pass_obj
    def tokens_revoke(ctx: Context, name: str) -> None:
        """Revoke a token: it stops working at once."""
        ctx.client.delete(f"/tokens/{name}")
        click.echo(f"Revoked token {name}")
