"""The dependency arrows point one way (DESIGN.md): cli → HTTP API → use cases → store / builder
/ scheduler / router → thin adapters. Read from the code's own imports."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PAAS = Path(__file__).resolve().parents[2] / "paas"

FORBIDDEN = {
    "paas.cli": ("paas.server", "paas.services", "paas.adapters", "paas.bootstrap"),
    "paas.services": ("paas.adapters", "paas.server", "paas.cli", "paas.bootstrap"),
    "paas.adapters": ("paas.services", "paas.server", "paas.cli", "paas.bootstrap"),
    "paas.render": ("paas.services", "paas.adapters", "paas.server", "paas.cli", "paas.bootstrap"),
    "paas.domain": ("paas.services", "paas.adapters", "paas.server", "paas.cli", "paas.render",
                    "paas.bootstrap"),
}
ONLY_IN = {"docker": ("paas.adapters.docker_engine", "paas.adapters.supervisor",
                      "paas.adapters.docker_data", "paas.adapters.swarm_engine"),
           "dulwich": ("paas.adapters.git_server",),
           # the store, and the schema's history it runs before it opens
           "sqlite3": ("paas.adapters.sqlite_store", "paas.adapters.migrations",
                       "paas.adapters.metrics_store",  # the metrics tables (issue 15)
                       "paas.adapters.sqlite_tokens",  # tokens and sessions (issue 9)
                       "paas.adapters.sqlite_backup")}  # platform backups (issue 12)


def modules():
    for path in sorted(PAAS.rglob("*.py")):
        name = ".".join(path.relative_to(PAAS.parent).with_suffix("").parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
        yield name, imported


@pytest.mark.parametrize("name,imported", list(modules()), ids=lambda v: v if isinstance(v, str) else "")
def test_imports_point_down(name, imported):
    for layer, banned in FORBIDDEN.items():
        if name == layer or name.startswith(layer + "."):
            bad = sorted(i for i in imported if i.startswith(banned))
            assert not bad, f"{name} imports {bad}: the arrows must point down"
    for library, owners in ONLY_IN.items():
        if any(i == library or i.startswith(library + ".") for i in imported):
            assert name in owners, f"{name} imports {library}; only {', '.join(owners)} may"
