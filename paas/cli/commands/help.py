"""help [TOPIC]: Heroku's layout. `paas`, `paas help` and `paas --help` list the topics;
`paas help config` lists that topic's commands with one-line summaries; `paas help config:set`
is that command's full help."""
from __future__ import annotations

import click

from paas.cli.output import CliError, columns

TOPICS = {
    "apps": "create, list, inspect and destroy apps",
    "builds": "an app's builds: list them, read their output, build again",
    "certs": "HTTPS certificates: automatic (ACME) or your own; redirects, HSTS",
    "completion": "print a shell completion script (bash, zsh, fish)",
    "config": "config vars: each change is a release",
    "domains": "the host names an app is served at",
    "git": "point a git remote at an app, for git push",
    "help": "this list, or a topic's commands",
    "login": "save the API URL and token",
    "logs": "an app's logs, with the platform's events",
    "metrics": "requests, errors, latency, CPU and memory per minute",
    "nodes": "the swarm's hosts: list, join, drain, activate, remove",
    "open": "print an app's URL",
    "ps": "processes: list, scale, restart",
    "releases": "releases: list, inspect, roll back",
    "resources": "memory, CPU and process-count limits",
    "run": "a one-off command in a container of the current release",
    "tokens": "API tokens: list, create, revoke",
    "version": "the CLI's and the server's versions",
}


def commands_by_topic(ctx: click.Context) -> dict[str, list[tuple[str, click.Command]]]:
    group = ctx.find_root().command
    assert isinstance(group, click.Group)
    found: dict[str, list[tuple[str, click.Command]]] = {}
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is not None and not command.hidden:
            found.setdefault(name.partition(":")[0], []).append((name, command))
    return found


def topics_text(ctx: click.Context) -> str:
    rows = [[topic, TOPICS.get(topic) or commands[0][1].get_short_help_str(60)]
            for topic, commands in sorted(commands_by_topic(ctx).items())]
    return "\n".join([
        "Usage: paas TOPIC[:COMMAND] [ARGS...] [-a APP]",
        "", "paas: git push to deploy, on your own server.", "", "=== Topics",
        *columns(rows), "",
        "paas help TOPIC lists a topic's commands; paas COMMAND --help shows one in full.",
    ])


def topic_text(ctx: click.Context, topic: str) -> str:
    commands = commands_by_topic(ctx).get(topic)
    if not commands:
        raise CliError(f"no help topic {topic[:40]!r}: 'paas help' lists them")
    rows = [[name, command.get_short_help_str(70)] for name, command in commands]
    return "\n".join([f"=== {topic}: {TOPICS.get(topic, '')}".rstrip(": "), *columns(rows)])


def _complete_topics(ctx: click.Context, _param, incomplete: str) -> list[str]:
    return [t for t in sorted(commands_by_topic(ctx)) if t.startswith(incomplete)]


def register(cli: click.Group) -> None:
    @cli.command("help")
    @click.argument("topic", required=False, shell_complete=_complete_topics)
    @click.pass_context
    def help_(ctx: click.Context, topic: str | None) -> None:
        """List topics, or a topic's commands (paas help config), or one command in full
        (paas help config:set)."""
        if topic is None:
            return click.echo(topics_text(ctx))
        if ":" not in topic:
            return click.echo(topic_text(ctx, topic))
        root = ctx.find_root()
        command = root.command.get_command(root, topic)  # type: ignore[attr-defined]
        if command is None or command.hidden:
            raise CliError(f"no command {topic[:40]!r}: 'paas help {topic.partition(':')[0]}' "
                           "lists a topic's commands")
        with click.Context(command, info_name=topic, parent=root) as sub:
            click.echo(command.get_help(sub))
