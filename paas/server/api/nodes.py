"""/api/v1/nodes: the swarm's nodes (PAAS_SCHEDULER=swarm): list, join command, drain,
activate, remove. Draining moves processes and answers through `progress.respond`."""
from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, jsonify

from paas.server.api.progress import respond
from paas.server.auth import require_token, services

bp = Blueprint("nodes", __name__)
bp.before_request(require_token)


@bp.get("/nodes")
def list_nodes():
    return jsonify([asdict(n) for n in services().nodes.list()])


@bp.get("/nodes/join-command")
def join_command():
    return jsonify({"command": services().nodes.join_command()})


@bp.post("/nodes/<node>/drain")
def drain(node: str):
    nodes = services().nodes
    nodes.find(node)  # a bad or unknown node answers at once, not as an operation
    return respond(lambda on_line: {"node": asdict(nodes.drain(node, on_line))})


@bp.post("/nodes/<node>/activate")
def activate(node: str):
    return jsonify({"node": asdict(services().nodes.activate(node))})


@bp.delete("/nodes/<node>")
def remove(node: str):
    return jsonify({"removed": services().nodes.remove(node)})
