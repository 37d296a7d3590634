"""git:remote."""
from __future__ import annotations

import shlex
import subprocess
import sys
from urllib.parse import urlsplit

import click

from paas.cli import credential
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
        _git(ctx, ["config", f"credential.{origin}.helper", _helper_command()], check=True)
        click.echo(f"set git remote {remote} to {url}")

    @cli.command("git:credential", hidden=True)
    @click.argument("operation")
    @click.pass_obj
    def git_credential(ctx: Context, operation: str) -> int:
        """The credential helper that remotes set by earlier versions of paas still name."""
        return credential.main([operation], ctx.env)


def _helper_command() -> str:
    """git runs a helper starting with `!` through the shell: this Python (the one that has
    paas installed) with the light helper module, not the whole CLI. Only `get` has an answer;
    git also runs the helper to `store` after every push that authenticated, and starting
    Python for nothing cost a tenth of a second or more of each push (issue 14)."""
    return (f'!f() {{ if [ "$1" = get ]; then exec {shlex.quote(sys.executable)} -m '
            'paas.cli.credential get; fi; cat >/dev/null; }; f')


def _git(ctx: Context, args: list[str], check: bool) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], capture_output=True, text=True, cwd=ctx.cwd,
                          env={**ctx.env, "GIT_TERMINAL_PROMPT": "0"}, check=check)
