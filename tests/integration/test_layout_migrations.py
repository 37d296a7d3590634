"""Layout migrations on real Docker (issue 10: each layout change is a migration too): the
builds' old root-owned `<app>-cache` volumes go when older state is migrated by make up's
context, and nothing else does."""
from __future__ import annotations

import os
import sqlite3

import docker
import pytest

from paas.adapters import migrations as m
from paas.server import lifecycle
from tests.support import remove_docker_objects

STEP = "builds' old root-owned cache volumes (<app>-cache) removed"


@pytest.fixture
def instances():
    mine, other = f"t{os.getpid()}layout", f"t{os.getpid()}layoutother"
    yield mine, other
    remove_docker_objects(mine)
    remove_docker_objects(other)


def volume(client, instance: str, name: str):
    return client.volumes.create(name, labels={"paas.instance": instance})


def test_old_build_caches_go_and_only_they(tmp_path, instances):
    mine, other = instances
    client = docker.from_env()
    db = tmp_path / "paas.db"
    before = m.MIGRATIONS[:[s.name for s in m.MIGRATIONS].index(STEP)]
    m.migrate(db, migrations=before)  # a state from before the step
    with sqlite3.connect(db) as conn:
        conn.executemany("INSERT INTO apps (name, created_at) VALUES (?, 0)",
                         [("web",), ("x",), ("x-build",), ("busy",)])
    volume(client, mine, f"paas-{mine}-web-cache")  # old: goes
    volume(client, mine, f"paas-{mine}-web-build-cache")  # web's current cache: stays
    volume(client, mine, f"paas-{mine}-x-build-cache")  # x's current, x-build's old: stays
    volume(client, other, f"paas-{other}-web-cache")  # another platform's: stays
    volume(client, mine, f"paas-{mine}-busy-cache")  # used by a container: stays
    holder = client.containers.create("paas/stack:trixie", ["true"],
                                      labels={"paas.instance": mine},
                                      volumes={f"paas-{mine}-busy-cache": {"bind": "/c"}})
    ctx = m.Context(home=tmp_path, extra={"instance": mine,
                                          "remove_volume": lifecycle._remove_volume})
    ran = m.migrate(db, ctx)
    assert STEP in ran
    names = {v.name for v in client.volumes.list()}
    assert f"paas-{mine}-web-cache" not in names
    assert {f"paas-{mine}-web-build-cache", f"paas-{mine}-x-build-cache",
            f"paas-{other}-web-cache", f"paas-{mine}-busy-cache"} <= names
    holder.remove(force=True)
    assert m.migrate(db, ctx) == []  # done once: the version says so


def test_without_docker_in_the_context_the_step_changes_nothing(tmp_path, instances):
    mine, _ = instances
    client = docker.from_env()
    db = tmp_path / "paas.db"
    before = m.MIGRATIONS[:[s.name for s in m.MIGRATIONS].index(STEP)]
    m.migrate(db, migrations=before)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO apps (name, created_at) VALUES ('web', 0)")
    volume(client, mine, f"paas-{mine}-web-cache")
    assert STEP in m.migrate(db)  # a store opening the state: no instance, no Docker
    assert f"paas-{mine}-web-cache" in {v.name for v in client.volumes.list()}
