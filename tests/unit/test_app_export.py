"""apps:export / apps:import state: a real SQLite store on both sides, hostile archives refused
with nothing created."""
from __future__ import annotations

import json

import pytest

from paas.adapters.sqlite_store import SqliteStore
from paas.errors import Conflict, InvalidInput
from paas.render import app_archive
from paas.services import app_export


@pytest.fixture
def source(tmp_path):
    store = SqliteStore(tmp_path / "a.db")
    store.add_app("web")
    for n, body in ((1, "one"), (2, "two")):
        rel = store.create_release("web", image=f"paas/web:v{n}", processes={"web": "serve"},
                                   commit=f"c{n}", description=f"deploy {body}",
                                   created_by="admin", config={"GREETING": body},
                                   mounts={"data": "/data"})
        store.set_release_status("web", rel.version, "succeeded")
    store.set_formation("web", {"web": 2, "worker": 1})
    store.set_resources("web", "web", {"memory": "256m"})
    store.add_domain("web", "web.example.com")
    return store


def test_export_then_import_recreates_the_app(source, tmp_path):
    data = app_export.export(source, "web", {"repo.bundle": b"bundle"})
    target = SqliteStore(tmp_path / "b.db")
    doc, others = app_export.parse(data)
    assert others == {"repo.bundle": b"bundle"}
    assert app_export.restore(target, "moved", doc) == 2
    assert target.get_config("moved") == {"GREETING": "two"}
    assert target.list_domains("moved") == ["web.example.com"]
    assert target.get_formation("moved") == {"web": 2, "worker": 1}
    assert target.get_resources("moved") == source.get_resources("web")
    assert target.get_mounts("moved") == {"data": "/data"}
    got = [(r.version, r.image, r.config, r.status) for r in target.list_releases("moved")]
    want = [(r.version, r.image, r.config, r.status) for r in source.list_releases("web")]
    assert got == want
    assert app_archive.read(data).meta == {"app": "web", "current_release": 2}


def test_import_refuses_an_existing_name_and_changes_nothing(source):
    doc, _ = app_export.parse(app_export.export(source, "web"))
    with pytest.raises(Conflict, match="already exists"):
        app_export.restore(source, "web", doc)
    assert len(source.list_releases("web")) == 2


def test_import_refuses_a_domain_owned_by_another_app(source):
    doc, _ = app_export.parse(app_export.export(source, "web"))
    with pytest.raises(Conflict, match="already belongs to app 'web'"):
        app_export.restore(source, "other", doc)
    assert source.get_app("other") is None


class _FailingDomains(SqliteStore):
    """A real store whose last import step fails, as a full disk would."""

    def add_domain(self, app, domain):
        raise OSError("disk full")


def test_failure_part_way_removes_the_new_app(source, tmp_path):
    doc, _ = app_export.parse(app_export.export(source, "web"))
    target = _FailingDomains(tmp_path / "b.db")
    with pytest.raises(OSError):
        app_export.restore(target, "moved", doc)
    assert target.get_app("moved") is None
    assert target.list_releases("moved") == []


def test_bad_app_name_is_refused(source, tmp_path):
    doc, _ = app_export.parse(app_export.export(source, "web"))
    target = SqliteStore(tmp_path / "b.db")
    with pytest.raises(InvalidInput):
        app_export.restore(target, "../etc", doc)
    assert target.list_apps() == []


@pytest.mark.parametrize("mutate", [
    lambda d: d.pop("config"),
    lambda d: d.update(config={"A": 1}),
    lambda d: d.update(formation={"web": -1}),
    lambda d: d.update(formation={"web": True}),
    lambda d: d.update(domains=[1]),
    lambda d: d["releases"][0].update(status="owned"),
    lambda d: d["releases"][0].update(image=None),
    lambda d: d["releases"].append("x"),
    lambda d: d.update(resources={"web": {"memory": 5}}),
])
def test_malformed_state_is_refused(source, mutate):
    doc = app_export.state(source, "web")
    mutate(doc)
    data = app_archive.write({}, {"app.json": json.dumps(doc).encode()})
    with pytest.raises(InvalidInput, match="^app.json: "):
        app_export.parse(data)


def test_archive_without_state_is_refused():
    with pytest.raises(InvalidInput, match="no app.json"):
        app_export.parse(app_archive.write({}, {"other": b"x"}))
