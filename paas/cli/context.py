"""What every CLI command is handed: the environment, the API client, and the app in use."""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field

import httpx

from paas.cli.client import Client, load_login
from paas.cli.output import CliError

_GIT_URL_RE = re.compile(r"/git/([a-z][a-z0-9-]{0,29})\.git/?$")


@dataclass
class Context:
    env: dict[str, str]
    transport: httpx.BaseTransport | None = None
    cwd: str | None = None
    _client: Client | None = field(default=None, repr=False)

    @property
    def client(self) -> Client:
        if self._client is None:
            url, token = load_login(self.env)
            self._client = Client(url, token, transport=self.transport)
        return self._client

    def app(self, given: str | None, remote: str = "paas") -> str:
        """-a/--app when given, else the app behind the `paas` git remote of this directory."""
        if given:
            return given
        try:
            url = subprocess.run(
                ["git", "remote", "get-url", remote], capture_output=True, text=True,
                cwd=self.cwd, env={**self.env, "GIT_TERMINAL_PROMPT": "0"}, check=False,
            ).stdout.strip()
        except FileNotFoundError:
            url = ""
        match = _GIT_URL_RE.search(url)
        if not match:
            raise CliError(f"no app given: pass -a APP, or run this in a git repo with a '{remote}' "
                           "remote (paas git:remote -a APP)")
        return match.group(1)
