"""The CLI tests' harness: the real CLI against the real Flask app in process (httpx's WSGI
transport), with the fakes below the use cases."""
from __future__ import annotations

import httpx
import pytest

from paas.cli.main import main
from paas.server.app import create_app
from tests.fakes import fake_services


@pytest.fixture
def api(tmp_path):
    """(Flask app, the CLI's environment, the services behind the app)."""
    services = fake_services(tmp_path / "home")
    token = services.tokens.ensure_admin(services.settings.token_file)
    app = create_app(services.settings, services)
    env = {"HOME": str(tmp_path / "user"), "PAAS_API_URL": "http://paas.test", "PAAS_TOKEN": token,
           "PATH": "/usr/bin:/bin"}
    return app, env, services


def run(api, argv, capsys, cwd=None, env=None):
    """Exit status, stdout and stderr of `paas ARGV`."""
    app, default_env, _ = api
    code = main(argv, env=env or default_env, transport=httpx.WSGITransport(app=app), cwd=cwd)
    out = capsys.readouterr()
    return code, out.out, out.err
