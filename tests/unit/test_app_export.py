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
    data = app_export.export(source, "web", {"repo/refs/heads/main": b"0" * 40})
    target = SqliteStore(tmp_path / "b.db")
    doc, others = app_export.parse(data)
    assert others == {"repo/refs/heads/main": b"0" * 40}
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


def _bare_with_commit(path):
    from dulwich.objects import Blob, Commit, Tree
    from dulwich.repo import Repo
    repo = Repo.init_bare(str(path), mkdir=True, default_branch=b"main")
    blob = Blob.from_string(b"hello\n")
    tree = Tree()
    tree.add(b"README", 0o100644, blob.id)
    commit = Commit()
    commit.tree = tree.id
    commit.author = commit.committer = b"t <t@example.com>"
    commit.author_time = commit.commit_time = 0
    commit.author_timezone = commit.commit_timezone = 0
    commit.message = b"one\n"
    for obj in (blob, tree, commit):
        repo.object_store.add_object(obj)
    repo.refs[b"refs/heads/main"] = commit.id
    repo.close()
    return commit.id


def test_repository_objects_and_refs_travel_but_not_hooks_or_config(tmp_path):
    from dulwich.repo import Repo
    sha = _bare_with_commit(tmp_path / "a.git")
    (tmp_path / "a.git" / "hooks" / "post-receive").write_text("#!/bin/sh\nrm -rf /\n")
    members = app_export.repo_members(tmp_path / "a.git")
    assert members and all(n.startswith(("repo/objects/", "repo/refs/")) for n in members)
    Repo.init_bare(str(tmp_path / "b.git"), mkdir=True, default_branch=b"main").close()
    assert app_export.restore_repo(tmp_path / "b.git", members) == len(members)
    restored = Repo(str(tmp_path / "b.git"))
    assert restored.refs[b"refs/heads/main"] == sha
    assert restored[restored[sha].tree][b"README"][1]


@pytest.mark.parametrize("name", ["repo/hooks/post-receive", "repo/config", "repo/HEAD"])
def test_repository_config_and_hooks_from_an_archive_are_refused(tmp_path, name):
    (tmp_path / "b.git").mkdir()
    with pytest.raises(InvalidInput, match="is not repository data"):
        app_export.restore_repo(tmp_path / "b.git", {name: b"x"})
    assert list((tmp_path / "b.git").iterdir()) == []


@pytest.mark.parametrize("name", ["repo/hooks/post-receive", "repo/config", "volumes/x"])
def test_parse_refuses_members_an_export_does_not_make(source, name):
    data = app_export.export(source, "web", {name: b"x"})
    with pytest.raises(InvalidInput, match="is not part of an app export"):
        app_export.parse(data)


def test_the_archive_in_pieces_is_what_tarfile_writes_byte_for_byte():
    import hashlib
    import io
    import json
    import tarfile

    from paas.render import app_archive

    for members in ({"x/y": b"hello" * 1000, "z": b"", "big": bytes(range(256)) * 5000}, {},
                    {"a": b"1" * 10240}):
        files = {n: {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b)}
                 for n, b in sorted(members.items())}
        manifest = json.dumps({"format": app_archive.FORMAT, "meta": {"a": 1}, "files": files},
                              indent=2, sort_keys=True).encode()
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name, body in [("manifest.json", manifest), *sorted(members.items())]:
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = len(body), 0o600, 0
                tar.addfile(info, io.BytesIO(body))
        assert b"".join(app_archive.chunks({"a": 1}, members)) == out.getvalue()
