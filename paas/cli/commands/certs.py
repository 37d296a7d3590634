"""certs, certs:auto, certs:auto:disable, certs:add, certs:remove, certs:redirect, certs:hsts."""
from __future__ import annotations

from pathlib import Path

import click

from paas.cli.client import seg
from paas.cli.context import Context, app_option, json_option
from paas.cli.output import CliError, as_json, header, table

ON_OFF = click.Choice(["on", "off"])
control_option = click.option("--control-plane", "control", is_flag=True,
                              help="the certificate of PAAS_API_HOST instead of an app's")


def _base(ctx: Context, app_name, control: bool) -> tuple[str, str]:
    """(what it is called, the API path of its certificates)."""
    if control:
        return "control plane", "/control-plane/certs"
    app = ctx.app(app_name)
    return app, f"/apps/{app}/certs"


def show(app: str, rows: list[dict]) -> None:
    header(f"{app} Certificates")
    table([["Domain", "Source", "Issuer", "Expires", "State", "Next renewal", "Last error"]] +
          [[r["domain"], r["source"] or "-", r["issuer"] or "-", r["expires"] or "-", r["state"],
            r["next_renewal"] or "-", r["last_error"] or ""] for r in rows])


def _read(path: str, what: str) -> str:
    try:
        return Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read the {what} file {path}: {exc}") from None


def register(cli: click.Group) -> None:
    @cli.command("certs")
    @app_option
    @control_option
    @json_option
    @click.pass_obj
    def certs(ctx: Context, app_name, control: bool, json_: bool) -> None:
        """Each domain's certificate: source, issuer, expiry, state, next renewal, last error."""
        name, path = _base(ctx, app_name, control)
        rows = ctx.client.get(path)
        return as_json(rows) if json_ else show(name, rows)

    @cli.command("certs:auto")
    @app_option
    @click.pass_obj
    def certs_auto(ctx: Context, app_name) -> None:
        """Automatic certificates (ACME) for every domain of the app, renewed by the platform."""
        app = ctx.app(app_name)
        result = ctx.client.operation("POST", f"/apps/{app}/certs/auto")
        show(app, result["certs"])

    @cli.command("certs:auto:disable")
    @app_option
    @click.pass_obj
    def certs_auto_disable(ctx: Context, app_name) -> None:
        """Turn automatic certificates off (their certificates are removed)."""
        app = ctx.app(app_name)
        ctx.client.delete(f"/apps/{app}/certs/auto")
        click.echo(f"Automatic certificates for {app}: off")

    @cli.command("certs:add")
    @click.option("--cert", "cert_file", required=True, help="PEM: the certificate, then its chain")
    @click.option("--key", "key_file", required=True, help="PEM: its private key")
    @app_option
    @control_option
    @click.pass_obj
    def certs_add(ctx: Context, cert_file: str, key_file: str, app_name, control: bool) -> None:
        """Install a certificate for the app's domains it names; it wins over ACME."""
        name, path = _base(ctx, app_name, control)
        body = {"cert": _read(cert_file, "certificate"), "key": _read(key_file, "key")}
        result = ctx.client.post(path, body)
        click.echo(f"Installed a certificate on {name} for {', '.join(result['domains'])}")

    @cli.command("certs:remove")
    @click.argument("domain")
    @app_option
    @control_option
    @click.pass_obj
    def certs_remove(ctx: Context, domain: str, app_name, control: bool) -> None:
        """Remove a domain's certificate (a manual one first)."""
        name, path = _base(ctx, app_name, control)
        ctx.client.delete(f"{path}/{seg(domain)}")
        click.echo(f"Removed the certificate of {domain} from {name}")

    @cli.command("certs:redirect")
    @click.argument("state", type=ON_OFF)
    @app_option
    @click.pass_obj
    def certs_redirect(ctx: Context, state: str, app_name) -> None:
        """Redirect plain HTTP to HTTPS (308) on hosts with a certificate: on (default) or off."""
        _set_option(ctx, app_name, "redirect", state)

    @cli.command("certs:hsts")
    @click.argument("state", type=ON_OFF)
    @app_option
    @click.pass_obj
    def certs_hsts(ctx: Context, state: str, app_name) -> None:
        """Send Strict-Transport-Security over HTTPS: on or off (default)."""
        _set_option(ctx, app_name, "hsts", state)


def _set_option(ctx: Context, app_name, option: str, state: str) -> None:
    app = ctx.app(app_name)
    ctx.client.call("PATCH", f"/apps/{app}/tls", {option: state == "on"})
    click.echo(f"{'HTTPS redirect' if option == 'redirect' else 'HSTS'} for {app}: {state}")
