"""nodes, nodes:join-command, nodes:drain, nodes:activate, nodes:remove (PAAS_SCHEDULER=swarm)."""
from __future__ import annotations

import click

from paas.cli.context import Context, json_option
from paas.cli.output import as_json, header, table


def _memory(size: int) -> str:
    return f"{size / (1 << 30):.1f} GiB" if size else "-"


def register(cli: click.Group) -> None:
    @cli.command("nodes")
    @json_option
    @click.pass_obj
    def nodes(ctx: Context, json_: bool) -> None:
        """List the swarm's nodes: address, role, state, availability, processes, memory."""
        found = ctx.client.get("/nodes")
        if json_:
            return as_json(found)
        header("Nodes")
        table([[n["id"][:12], n["address"], n["role"] + (" (leader)" if n["leader"] else ""),
                n["state"], n["availability"], f"{n['processes']} processes", _memory(n["memory"])]
               for n in found])

    @cli.command("nodes:join-command")
    @click.pass_obj
    def join_command(ctx: Context) -> None:
        """Print what to run, as root, on a new host to join it to the swarm."""
        click.echo(ctx.client.get("/nodes/join-command")["command"])

    @cli.command("nodes:drain")
    @click.argument("node")
    @click.pass_obj
    def drain(ctx: Context, node: str) -> None:
        """Move a node's processes to other nodes (zero downtime), then drain it."""
        result = ctx.client.operation("POST", f"/nodes/{node}/drain")
        click.echo(f"{result['node']['id'][:12]} is {result['node']['availability']}")

    @cli.command("nodes:activate")
    @click.argument("node")
    @click.pass_obj
    def activate(ctx: Context, node: str) -> None:
        """Let a drained node take processes again."""
        result = ctx.client.post(f"/nodes/{node}/activate")
        click.echo(f"{result['node']['id'][:12]} is {result['node']['availability']}")

    @cli.command("nodes:remove")
    @click.argument("node")
    @click.pass_obj
    def remove(ctx: Context, node: str) -> None:
        """Remove a drained (or dead) worker node from the swarm."""
        click.echo(f"removed {ctx.client.delete(f'/nodes/{node}')['removed'][:12]}")
