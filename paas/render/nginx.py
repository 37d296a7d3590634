"""nginx configuration text from the templates in `nginx/`: pure functions, exact output."""
from __future__ import annotations

from pathlib import Path

import jinja2

from paas.domain.certs import Routes
from paas.domain.names import validate_app_name

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "nginx"
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)), trim_blocks=True, lstrip_blocks=True,
    keep_trailing_newline=True, undefined=jinja2.StrictUndefined, autoescape=False,
)


def render_main(*, prefix: Path, http_port: int, listen: str = "0.0.0.0",
                https_port: int | None = None, temp: Path | None = None) -> str:
    """`https_port`: some site listens there, so the port gets its default server (which
    rejects names it has no site for, and holds the port's `reuseport`); None: no site does,
    and the port stays unbound. `temp`: where the temp dirs are (`prefix`/tmp by default)."""
    return _env.get_template("nginx.conf.j2").render(prefix=str(prefix), http_port=http_port,
                                                      listen=listen, https_port=https_port,
                                                      temp=str(temp or Path(prefix) / "tmp"))


def render_app(*, app: str, server_names: list[str], upstreams: list[str], http_port: int,
               listen: str = "0.0.0.0", routes: Routes | None = None, https_port: int = 443,
               hsts: bool = False, thumbprint: str | None = None,
               access_log: str | None = None, backups: list[str] = (),
               remote: bool = False) -> str:
    """`routes` splits the names into plain HTTP, redirected and TLS sites (default: all plain);
    `thumbprint` (the ACME account's) makes every HTTP server answer HTTP-01 challenges;
    `access_log` is the path of the app's JSON request log (issue 15), None for none;
    `backups` take only the requests that no upstream could answer; `remote`: the upstreams
    are on other hosts that may die (swarm nodes), so a failed one is skipped for a while."""
    validate_app_name(app)  # names reach nginx's syntax; only the checked ones may
    return _env.get_template("app.conf.j2").render(
        app=app, upstream=f"paas_{app.replace('-', '_')}", upstreams=upstreams,
        backups=list(backups) if upstreams else [],
        http_port=http_port, listen=listen,
        routes=routes or Routes(plain=tuple(server_names), redirect=(), sites=()),
        access_log=access_log, remote=remote,
        **_tls(https_port, hsts, thumbprint),
    )


def render_control(*, host: str, api: str, http_port: int, https_port: int,
                   site: tuple[str, str, str] | None, thumbprint: str | None,
                   listen: str = "0.0.0.0") -> str:
    """The control plane's server blocks: `api` is the API's own address (host:port); `site`
    the (domain, certificate, key) it is served with over TLS, once it has one."""
    return _env.get_template("control.conf.j2").render(
        host=host, api=api, http_port=http_port, listen=listen, site=site,
        **_tls(https_port, False, thumbprint))


def _tls(https_port: int, hsts: bool, thumbprint: str | None) -> dict:
    return {"https_port": https_port, "hsts": hsts, "thumbprint": thumbprint,
            "https_suffix": "" if https_port == 443 else f":{https_port}"}
