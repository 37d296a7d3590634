"""The CLI's only way to the platform: HTTP calls to the API, errors turned into one line."""
from __future__ import annotations

import json
import shutil
import tempfile
from typing import Callable
from urllib.parse import quote

import click
import httpx

from paas import __version__
from paas.cli.output import CliError, progress
from paas.domain.versions import mismatch


NDJSON = "application/x-ndjson"


def seg(value: object) -> str:
    """One URL path segment, escaped, so that a name like `../apps/x` cannot reach another route."""
    text = quote(str(value), safe="")
    return text.replace(".", "%2E") if set(text) <= {"."} else text


class Client:
    def __init__(self, api_url: str, token: str, transport: httpx.BaseTransport | None = None) -> None:
        self.api_url = api_url
        self.http = httpx.Client(
            base_url=f"{api_url}/api/v1", transport=transport, timeout=httpx.Timeout(30, read=3600),
            headers={"Authorization": f"Bearer {token}", "User-Agent": f"paas-cli/{__version__}"},
            event_hooks={"response": [self._check_version]},
        )
        self.server_version: str | None = None
        self._warned = False

    def _check_version(self, resp: httpx.Response) -> None:
        """Every answer carries the server's release (Paas-Version); a CLI that differs warns
        once per command, on stderr, and goes on."""
        version = resp.headers.get("Paas-Version")
        if not version:
            return
        self.server_version = version
        warning = mismatch(__version__, version)
        if warning and not self._warned:
            self._warned = True
            click.echo(f"paas: {warning}", err=True)

    def call(self, method: str, path: str, body: dict | None = None):
        try:
            resp = self.http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise CliError(f"cannot reach the paas API at {self.api_url}: {exc}") from None
        return _answer(resp)

    def operation(self, method: str, path: str, body: dict | None = None,
                  on_line: Callable[[str], None] | None = None) -> dict:
        """A long operation (deploy, rollback, restart...): its progress lines are handed to
        `on_line` (default: stderr) as the API streams them; its result is returned."""
        on_line = on_line or progress
        try:
            with self.http.stream(method, path, json=body, headers={"Accept": NDJSON}) as resp:
                if resp.status_code >= 400 or not resp.headers.get("content-type", "").startswith(NDJSON):
                    resp.read()
                    result = _answer(resp)  # an early error, or a server that does not stream
                    if not isinstance(result, dict):
                        raise CliError(f"the API answered {resp.status_code} without a result")
                    for line in result.pop("output", None) or []:
                        on_line(line)
                    return result
                for raw in resp.iter_lines():
                    if not raw.strip():
                        continue
                    event = _event(raw)
                    if "line" in event:
                        on_line(event["line"])
                    elif "error" in event:
                        raise CliError(event["error"].get("message") or "the operation failed")
                    elif "result" in event:
                        return event["result"]
        except httpx.HTTPError as exc:
            raise CliError(f"lost the paas API at {self.api_url}: {exc}") from None
        raise CliError("the paas API ended the stream without a result; "
                       "see 'paas releases' and 'paas logs' for what happened")

    def stream_lines(self, path: str):
        """Lines of a streamed text response, as they arrive."""
        try:
            with self.http.stream("GET", path) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    _answer(resp)
                yield from resp.iter_lines()
        except httpx.HTTPError as exc:
            raise CliError(f"lost the paas API at {self.api_url}: {exc}") from None

    def upload(self, path: str, source, content_type: str):
        """PUT a file (a binary stream: a pipe too) as the body; its JSON answer. Spooled
        first: the upload carries its length (a chunked body is not every WSGI server's), and a
        pipe has none."""
        with tempfile.SpooledTemporaryFile(max_size=1 << 24) as spool:
            shutil.copyfileobj(source, spool)
            size = spool.tell()
            spool.seek(0)

            def chunks():
                while chunk := spool.read(1 << 16):
                    yield chunk

            try:
                resp = self.http.put(path, content=chunks(), headers={
                    "Content-Type": content_type, "Content-Length": str(size)})
            except httpx.HTTPError as exc:
                raise CliError(f"cannot reach the paas API: {exc}") from None
        return _answer(resp)

    def get(self, path: str):
        return self.call("GET", path)

    def post(self, path: str, body: dict | None = None):
        return self.call("POST", path, body or {})

    def delete(self, path: str):
        return self.call("DELETE", path)


def _answer(resp: httpx.Response):
    """The JSON of an answer; for an error, its message as a CliError, after the lines the
    failed operation printed."""
    try:
        data = resp.json()
    except ValueError:
        data = None
    if resp.status_code < 400:
        return data
    if not isinstance(data, dict):
        raise CliError(f"the API answered {resp.status_code}")
    for line in data.get("output") or []:
        click.echo(line, err=True)
    raise CliError(data.get("message") or f"the API answered {resp.status_code}")


def _event(raw: str) -> dict:
    try:
        event = json.loads(raw)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        raise CliError(f"the paas API sent a garbled progress line: {raw[:80]!r}")
    return event
