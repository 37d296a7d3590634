"""The CLI's only way to the platform: HTTP calls to the API, errors turned into one line."""
from __future__ import annotations

import json
from pathlib import Path

import click
import httpx

from paas.cli.output import CliError


def config_path(env: dict[str, str]) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "paas" / "config.json"


def load_login(env: dict[str, str]) -> tuple[str, str]:
    saved: dict = {}
    path = config_path(env)
    if path.is_file():
        saved = json.loads(path.read_text())
    url = env.get("PAAS_API_URL") or saved.get("api_url")
    token = env.get("PAAS_TOKEN") or saved.get("token")
    if not url or not token:
        raise CliError("not logged in: run 'paas login --api-url URL --token TOKEN' "
                       "or set PAAS_API_URL and PAAS_TOKEN")
    return url.rstrip("/"), token


def save_login(env: dict[str, str], api_url: str, token: str) -> Path:
    path = config_path(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps({"api_url": api_url.rstrip("/"), "token": token}))
    return path


class Client:
    def __init__(self, api_url: str, token: str, transport: httpx.BaseTransport | None = None) -> None:
        self.api_url = api_url
        self.http = httpx.Client(
            base_url=f"{api_url}/api/v1", transport=transport, timeout=httpx.Timeout(30, read=3600),
            headers={"Authorization": f"Bearer {token}", "User-Agent": "paas-cli"},
        )

    def call(self, method: str, path: str, body: dict | None = None):
        try:
            resp = self.http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise CliError(f"cannot reach the paas API at {self.api_url}: {exc}") from None
        try:
            data = resp.json()
        except ValueError:
            data = None
        if resp.status_code >= 400:
            message = data.get("message") if isinstance(data, dict) else None
            for line in (data or {}).get("output", []) if isinstance(data, dict) else []:
                click.echo(line, err=True)  # what the operation printed before it failed
            raise CliError(message or f"the API answered {resp.status_code}")
        return data

    def stream_lines(self, path: str):
        """Lines of a streamed text response, as they arrive."""
        yield from self._stream("GET", path, None)

    def stream_lines_post(self, path: str, body: dict):
        yield from self._stream("POST", path, body)

    def _stream(self, method: str, path: str, body: dict | None):
        try:
            with self.http.stream(method, path, json=body) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    try:
                        message = resp.json().get("message")
                    except ValueError:
                        message = None
                    raise CliError(message or f"the API answered {resp.status_code}")
                yield from resp.iter_lines()
        except httpx.HTTPError as exc:
            raise CliError(f"lost the paas API at {self.api_url}: {exc}") from None

    def get(self, path: str):
        return self.call("GET", path)

    def post(self, path: str, body: dict | None = None):
        return self.call("POST", path, body or {})

    def delete(self, path: str):
        return self.call("DELETE", path)
