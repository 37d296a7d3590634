"""version: the CLI's release, and the server's release and state version when logged in."""
from __future__ import annotations

import click

from paas import __version__
from paas.cli.context import Context
from paas.cli.output import CliError, fields


def register(cli: click.Group) -> None:
    @cli.command("version")
    @click.pass_obj
    def version(ctx: Context) -> None:
        """Print the CLI's version and the server's (release and state version)."""
        try:
            client = ctx.client
        except CliError as exc:  # not logged in: the CLI's own version is still worth printing
            fields([("CLI", __version__), ("Server", f"unknown ({exc.message})")])
            return
        try:
            health = client.get("/health")
        except CliError as exc:
            fields([("CLI", __version__)])
            raise CliError(f"server version unknown: {exc.message}") from None
        fields([("CLI", __version__),
                ("Server", f"{health.get('version', 'unknown')} at {client.api_url}"),
                ("State version", health.get("state_version", "unknown"))])
