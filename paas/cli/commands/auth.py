"""login."""
from __future__ import annotations

import click

from paas.cli.client import Client
from paas.cli.login import save_login
from paas.cli.context import Context


def register(cli: click.Group) -> None:
    @cli.command("login")
    @click.option("--api-url", required=True, help="the platform's API URL, e.g. http://127.0.0.1:7070")
    @click.option("--token", required=True, help="an API token (the admin token is in $PAAS_HOME/admin-token)")
    @click.pass_obj
    def login(ctx: Context, api_url: str, token: str) -> None:
        """Save the API URL and token for later commands."""
        Client(api_url.rstrip("/"), token, transport=ctx.transport).get("/apps")  # proves both work
        path = save_login(ctx.env, api_url, token)
        click.echo(f"Logged in to {api_url} (saved in {path})")
