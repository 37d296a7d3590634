"""git:remote."""
from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from paas.cli.client import load_login
from paas.cli.context import Context
from paas.cli.output import CliError


def register(cli: click.Group) -> None:
    @cli.command("git:remote")
    @click.option("-a", "--app", "app_name", required=True, help="the app")
    @click.option("-r", "--remote", default="paas", show_default=True, help="the remote's name")
    @click.pass_obj
    def git_remote(ctx: Context, app_name: str, remote: str) -> None:
        """Add (or point) a git remote at the app, for `git push paas main`."""
        url = ctx.client.get(f"/apps/{ctx.app(app_name)}")["git_url"]
        existing = _git(ctx, ["remote", "get-url", remote], check=False)
        verb = "set-url" if existing.returncode == 0 else "add"
        result = _git(ctx, ["remote", verb, remote, url], check=False)
        if result.returncode != 0:
            raise CliError(f"git remote {verb} failed: {result.stderr.strip() or 'not a git repository?'}")
        # git asks us for the token (like Heroku's netrc, without writing it into .git/config).
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
        _git(ctx, ["config", f"credential.{origin}.helper", f"!{_self_command()} git:credential"],
             check=True)
        click.echo(f"set git remote {remote} to {url}")

    @cli.command("git:credential", hidden=True)
    @click.argument("operation")
    @click.pass_obj
    def git_credential(ctx: Context, operation: str) -> None:
        """git credential helper: answers `get` with the saved token."""
        if operation != "get":
            return
        try:
            sys.stdin.read()  # git's request; drained so git never sees EPIPE
        except OSError:
            pass
        _, token = load_login(ctx.env)
        click.echo(f"username=paas\npassword={token}")


def _self_command() -> str:
    exe = Path(sys.executable).with_name("paas")
    return shlex.quote(str(exe)) if exe.exists() else "paas"


def _git(ctx: Context, args: list[str], check: bool) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], capture_output=True, text=True, cwd=ctx.cwd,
                          env={**ctx.env, "GIT_TERMINAL_PROMPT": "0"}, check=check)
