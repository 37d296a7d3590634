"""domains, domains:add, domains:remove."""
from __future__ import annotations

import click

from paas.cli.client import seg
from paas.cli.context import Context, app_option, json_option
from paas.cli.output import as_json, header


def register(cli: click.Group) -> None:
    @cli.command("domains")
    @app_option
    @json_option
    @click.pass_obj
    def domains(ctx: Context, app_name, json_: bool) -> None:
        """List the host names the app is served at."""
        app = ctx.app(app_name)
        found = ctx.client.get(f"/apps/{app}/domains")
        if json_:
            return as_json(found)
        header(f"{app} Domain Names")
        for domain in found:
            click.echo(domain)

    @cli.command("domains:add")
    @click.argument("domain")
    @app_option
    @click.pass_obj
    def domains_add(ctx: Context, domain: str, app_name) -> None:
        """Serve the app at another host name too."""
        app = ctx.app(app_name)
        ctx.client.post(f"/apps/{app}/domains", {"domain": domain})
        click.echo(f"Adding {domain} to {app}... done")

    @cli.command("domains:remove")
    @click.argument("domain")
    @app_option
    @click.pass_obj
    def domains_remove(ctx: Context, domain: str, app_name) -> None:
        """Stop serving the app at a host name."""
        app = ctx.app(app_name)
        ctx.client.delete(f"/apps/{app}/domains/{seg(domain)}")
        click.echo(f"Removing {domain} from {app}... done")
