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
    @click.argument("args", nargs=-1, metavar="[NAME] [ARCHIVE]")
    @click.option("--name", "new_name", help="the new app's name (default: the exported one)")
    @click.pass_obj
    def apps_import(ctx: Context, args: tuple[str, ...], new_name: str | None) -> None:
        """Recreate an exported app and deploy it: paas apps:import app.tar [--name NEW], or
        paas apps:import NAME < app.tar."""
        name, path = _import_args(args, new_name)
        source = open(path, "rb") if path else sys.stdin.buffer
        try:
            if name is None:
                name = _exported_name(source)
            made = ctx.client.upload(f"/app-imports/{seg(name)}", source, "application/x-tar")
        finally:
            if path:
                source.close()
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


def _import_args(args: tuple[str, ...], new_name: str | None) -> tuple[str | None, str | None]:
    """(name, archive path) from `NAME [ARCHIVE]` (main's form) or `ARCHIVE [--name NEW]` (the
    issue's): a lone argument that names an existing file is the archive."""
    if len(args) > 2:
        raise CliError("usage: paas apps:import ARCHIVE [--name NEW] (or NAME < ARCHIVE)")
    if len(args) == 2:
        if new_name:
            raise CliError("give the new name once: NAME ARCHIVE, or ARCHIVE --name NAME")
        return args[0], args[1]
    if len(args) == 1 and os.path.isfile(args[0]):
        return new_name, args[0]
    if len(args) == 1:
        if new_name:
            raise CliError(f"no such archive: {args[0]}")
        return args[0], None
    if new_name is None:
        raise CliError("name the new app (NAME or --name) when the archive comes on stdin")
    return new_name, None


def _exported_name(source) -> str:
    """The app's name recorded in the archive's manifest (its first member); the stream is
    rewound for the upload."""
    import json
    import tarfile

    try:
        with tarfile.open(fileobj=source, mode="r:") as tar:
            first = tar.next()
            meta = json.loads(tar.extractfile(first).read()).get("meta", {}) if first else {}
    except (tarfile.TarError, ValueError, AttributeError, OSError):
        meta = {}
    source.seek(0)
    name = meta.get("app") if isinstance(meta, dict) else None
    if not isinstance(name, str):
        raise CliError("not a paas app archive: it names no app (give one with --name)")
    return name
