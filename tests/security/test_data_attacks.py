"""Attacks on the data path (issue 12): an app token reaching another app's database, backup
ids and planted symlinks that would make a restore read host files, a push mounting a volume
over the system, an upload that is not a backup."""
from __future__ import annotations

import io
import os

import pytest

from paas.errors import InvalidInput, NotFound
from paas.server.app import create_app
from tests.fakes import fake_services
from tests.fakes_data import FakeData, NamedEngine

quiet = lambda _: None  # noqa: E731


@pytest.fixture
def world(tmp_path):
    engine = NamedEngine()
    services = fake_services(tmp_path / "home", engine=engine, data=FakeData(engine))
    admin = services.tokens.ensure_admin(services.settings.token_file)
    for app in ("mine", "theirs"):
        services.apps.create(app)
        services.deployer.deploy_push(app, "1" * 40, quiet)
    services.datastores.create("postgres", "theirdb", quiet)
    services.datastores.link("theirdb", "theirs", None, "admin", quiet)
    client = create_app(services.settings, services).test_client()
    client.admin = {"Authorization": f"Bearer {admin}"}
    client.mine = {"Authorization": f"Bearer {services.tokens.create('dev', apps=['mine'])}"}
    client.services = services
    return client


def test_an_app_token_cannot_read_another_apps_database_url(world):
    for path in ("/api/v1/services", "/api/v1/services/theirdb",
                 "/api/v1/services/theirdb/backups"):
        resp = world.get(path, headers=world.mine)
        assert resp.status_code in (403, 404), path
        assert "postgres://" not in resp.get_data(as_text=True)
    theirs = world.get("/api/v1/apps/theirs/config", headers=world.mine)
    assert theirs.status_code == 404
    assert world.get("/api/v1/services/theirdb", headers=world.admin).get_json()["url"].startswith(
        "postgres://paas:")


def test_an_app_token_cannot_link_a_database_to_its_own_app(world):
    resp = world.post("/api/v1/services/theirdb/links", json={"app": "mine", "as": None},
                      headers=world.mine)
    assert resp.status_code in (403, 404)
    assert "DATABASE_URL" not in world.services.store.get_config("mine")


def test_a_restore_cannot_read_host_files_through_backup_ids_or_symlinks(world, tmp_path):
    backups = world.services.backups
    secret = tmp_path / "host-secret"
    secret.write_bytes(b"PGDMP host file")
    folder = backups.directory("theirdb")
    planted = "20300101T000000.000Z-manual"
    os.symlink(secret, folder / f"{planted}.dump")
    for attempt, error in (("../../../host-secret", InvalidInput), (str(secret), InvalidInput),
                           (planted, NotFound)):
        with pytest.raises(error):
            backups.restore("theirdb", attempt, quiet)
    assert world.services.datastores.data.put == []  # nothing went into the server
    assert planted not in [b.id for b in backups.list("theirdb")]


def test_a_backup_never_writes_through_a_planted_symlink(world, tmp_path, monkeypatch):
    from paas.services import backups as module
    monkeypatch.setattr(module, "_stamp", lambda: "20300101T000000.000Z")
    target = tmp_path / "victim"
    target.write_text("untouched")
    folder = world.services.backups.directory("theirdb")
    os.symlink(target, folder / "20300101T000000.000Z-manual.dump.partial")
    with pytest.raises(OSError):
        world.services.backups.backup("theirdb")
    assert target.read_text() == "untouched"


@pytest.mark.parametrize("mount", ["x:/etc", "x:/", "x:/usr/lib", "x:/proc/self", "x:/app",
                                   "x:/data/../etc", "x:relative", "x:/run/docker.sock"])
def test_a_volume_cannot_be_mounted_over_the_system(world, mount):
    with pytest.raises(InvalidInput):
        world.services.storage.mount("mine", mount, "dev", quiet)
    assert world.services.store.get_mounts("mine") == {}


def test_an_upload_that_is_not_a_backup_is_refused(world):
    resp = world.put("/api/v1/services/theirdb/backups/upload", data=b"#!/bin/sh\nrm -rf /\n",
                     headers={**world.admin, "Content-Type": "application/octet-stream"})
    assert resp.status_code == 422 and "not a postgres backup" in resp.get_json()["message"]
    assert world.services.backups.list("theirdb") == []
    wrong_type = world.put("/api/v1/services/theirdb/backups/upload", data=io.BytesIO(b"PGDMP"),
                           headers=world.admin)
    assert wrong_type.status_code == 415
