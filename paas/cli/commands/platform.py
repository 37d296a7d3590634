"""platform:backup and platform:restore: the whole platform as one archive (its state, and every
app's export with images, volumes and services' backups), restored onto a fresh platform."""
from __future__ import annotations

import sys

import click

from paas.cli.commands.app_moves import download
from paas.cli.context import Context


def register(cli: click.Group) -> None:
    @cli.command("platform:backup")
    @click.option("-o", "--output", type=click.Path(dir_okay=False), help="write to FILE")
    @click.pass_obj
    def platform_backup(ctx: Context, output: str | None) -> None:
        """Write the whole platform as one archive: paas platform:backup -o FILE."""
        download(ctx, "/platform/backup", output)
        click.echo("Backed up the platform" + (f" to {output}" if output else ""), err=True)

    @cli.command("platform:restore")
    @click.argument("archive", required=False, type=click.File("rb"))
    @click.pass_obj
    def platform_restore(ctx: Context, archive) -> None:
        """Import every app of a platform backup into this (fresh) platform and deploy it."""
        made = ctx.client.upload("/platform-restores", archive or sys.stdin.buffer,
                                 "application/x-tar")
        for line in made.get("output") or []:
            click.echo(line, err=True)
        apps = made.get("apps") or []
        click.echo(f"Restoring the platform... done, {len(apps)} apps: {', '.join(apps) or 'none'}")
