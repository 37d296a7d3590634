"""apps:export and apps:import: move an app between platforms as one archive (its records,
git repository, release images, volumes and linked services' backups).

`paas apps:export -a APP > app.tar` (or `-o FILE`, written to a temporary name and renamed, so
an interrupted export leaves no partial file) and `paas apps:import NAME < app.tar`.
"""
from __future__ import annotations

import os
import sys
import tempfile

import click
import httpx

from paas.cli.client import _answer, seg
from paas.cli.context import Context, app_option
from paas.cli.output import CliError


def register(cli: click.Group) -> None:
    @cli.command("apps:export")
    @app_option
    @click.option("-o", "--output", type=click.Path(dir_okay=False), help="write to FILE")
    @click.pass_obj
    def apps_export(ctx: Context, app_name, output: str | None) -> None:
        """Write the app as one archive: paas apps:export -a APP > app.tar."""
        app = ctx.app(app_name)
        download(ctx, f"/apps/{seg(app)}/export", output)
        click.echo(f"Exported {app}", err=True)

    @cli.command("apps:import")
    @click.argument("name")
    @click.argument("archive", required=False, type=click.File("rb"))
    @click.pass_obj
    def apps_import(ctx: Context, name: str, archive) -> None:
        """Recreate an exported app under NAME: paas apps:import NAME < app.tar."""
        made = ctx.client.upload(f"/app-imports/{seg(name)}", archive or sys.stdin.buffer,
                                 "application/x-tar")
        for line in made.get("output") or []:
            click.echo(line, err=True)  # progress, as other commands print it
        current = made["current_release"] or "no release yet"
        extra = "".join(f", {len(made[k])} {k}" for k in ("volumes", "services") if made.get(k))
        click.echo(f"Importing {name}... done, {made['releases']} releases, current {current}"
                   f"{extra}")


def download(ctx: Context, path: str, output: str | None) -> None:
    """GET an archive to `output` (a temporary name renamed when complete, so an interrupted
    download leaves no partial file) or to stdout."""
    tmp = None
    try:
        with ctx.client.http.stream("GET", path) as resp:
            if resp.status_code >= 400:
                resp.read()
                _answer(resp)
            if output:
                fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(output)),
                                           prefix=".paas-export-")
                out = os.fdopen(fd, "wb")
            else:
                out = sys.stdout.buffer
            for chunk in resp.iter_bytes():
                out.write(chunk)
            out.flush()
            if output:
                out.close()
                os.replace(tmp, output)
                tmp = None
    except httpx.HTTPError as exc:
        raise CliError(f"lost the paas API: {exc}") from None
    finally:
        if tmp is not None:
            os.unlink(tmp)
