"""nginx configuration text from the templates in `nginx/`: pure functions, exact output."""
from __future__ import annotations

from pathlib import Path

import jinja2

from paas.domain.names import validate_app_name

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "nginx"
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)), trim_blocks=True, lstrip_blocks=True,
    keep_trailing_newline=True, undefined=jinja2.StrictUndefined, autoescape=False,
)


def render_main(*, prefix: Path, http_port: int, listen: str = "0.0.0.0") -> str:
    return _env.get_template("nginx.conf.j2").render(prefix=str(prefix), http_port=http_port,
                                                      listen=listen)


def render_app(*, app: str, server_names: list[str], upstreams: list[str], http_port: int,
               listen: str = "0.0.0.0") -> str:
    validate_app_name(app)  # names reach nginx's syntax; only the checked ones may
    return _env.get_template("app.conf.j2").render(
        app=app, upstream=f"paas_{app.replace('-', '_')}", server_names=server_names,
        upstreams=upstreams, http_port=http_port, listen=listen,
    )
