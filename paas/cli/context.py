"""What every CLI command is handed: the environment, the API client, and the app in use.

The app is `-a/--app` when given; else the one behind the git remote named by `-r/--remote`;
else the `paas` remote's; else the one app that this repository's remotes point at
(`<API URL>/git/<app>.git` first, then any `/git/<app>.git`). Several apps there is an error
that lists them, as Heroku does.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field

import click
import httpx

from paas.cli.client import Client
from paas.cli.login import LoginError, load_login, read_login
from paas.cli.output import CliError
from paas.domain.names import APP_NAME_RE, validate_app_name
from paas.errors import InvalidInput

_GIT_URL_RE = re.compile(rf"/git/({APP_NAME_RE.pattern})\.git/?$")
_REMOTE = "paas.remote"  # where -r/--remote leaves its value in click's context


@dataclass
class Context:
    env: dict[str, str]
    transport: httpx.BaseTransport | None = None
    cwd: str | None = None
    _client: Client | None = field(default=None, repr=False)

    @property
    def client(self) -> Client:
        if self._client is None:
            url, token = _cli_login(load_login, self.env)
            self._client = Client(url, token, transport=self.transport)
        return self._client

    def app(self, given: str | None) -> str:
        if not given:
            current = click.get_current_context(silent=True)
            chosen = current.meta.get(_REMOTE) if current is not None else None
            given = app_from_remotes(self.git_remotes(), _cli_login(read_login, self.env)[0], chosen)
        try:
            return validate_app_name(given)  # it becomes part of URLs
        except InvalidInput as exc:
            raise CliError(exc.message) from None

    def git_remotes(self) -> dict[str, str]:
        """This directory's git remotes, name -> URL ({} outside a git repository)."""
        try:
            out = subprocess.run(
                ["git", "config", "--get-regexp", r"^remote\..*\.url$"], capture_output=True,
                text=True, cwd=self.cwd, env={**self.env, "GIT_TERMINAL_PROMPT": "0"}, check=False,
            ).stdout
        except (FileNotFoundError, NotADirectoryError):
            return {}
        remotes = {}
        for line in out.splitlines():
            key, _, url = line.partition(" ")
            remotes[key.removeprefix("remote.").removesuffix(".url")] = url.strip()
        return remotes


def app_from_remotes(remotes: dict[str, str], api_url: str | None, chosen: str | None = None) -> str:
    apps = {name: m.group(1) for name, url in remotes.items() if (m := _GIT_URL_RE.search(url))}
    if chosen is not None:
        if chosen not in remotes:
            raise CliError(f"no git remote named {chosen!r} here")
        if chosen not in apps:
            raise CliError(f"git remote {chosen!r} ({remotes[chosen]}) is not a paas app's git URL")
        return apps[chosen]
    if "paas" in apps:
        return apps["paas"]
    ours = {n: a for n, a in apps.items() if api_url and remotes[n].startswith(f"{api_url}/git/")}
    apps = ours or apps
    found = set(apps.values())
    if len(found) == 1:
        return found.pop()
    if not found:
        raise CliError("no app given: pass -a APP, or run this in a git repo with a 'paas' "
                       "remote (paas git:remote -a APP)")
    listed = ", ".join(f"{n}: {a}" for n, a in sorted(apps.items()))
    raise CliError(f"several apps in this repo's remotes ({listed}): pass -a APP")


def _cli_login(read, env: dict[str, str]):
    """The login as `read` gives it, its problem as the CLI's one-line error (which shell
    completion, too, knows to swallow)."""
    try:
        return read(env)
    except LoginError as exc:
        raise CliError(str(exc)) from None


def _remember_remote(ctx: click.Context, _param, value: str | None) -> None:
    if value is not None:
        ctx.meta[_REMOTE] = value


def _complete_apps(ctx: click.Context, _param, incomplete: str) -> list[str]:
    """App names for shell completion; nothing when the API cannot be asked."""
    obj = ctx.find_root().obj
    try:
        names = [a["name"] for a in obj.client.get("/apps")] if isinstance(obj, Context) else []
    except (click.ClickException, KeyError, TypeError):
        return []
    return [n for n in names if n.startswith(incomplete)]


def app_option(command):
    """-a/--app and -r/--remote, for every command that works on one app."""
    command = click.option("-r", "--remote", metavar="REMOTE", expose_value=False, callback=_remember_remote,
                           help="take the app from this git remote")(command)
    return click.option("-a", "--app", "app_name", metavar="APP", shell_complete=_complete_apps,
                        help="the app (default: from this repo's paas git remote)")(command)


json_option = click.option("--json", "json_", is_flag=True, help="output JSON")
