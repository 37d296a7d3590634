"""The dashboard's data parts (issue 12): an app page lists its volumes and linked services
(never a password), and /services lists every service for admin tokens only."""
from __future__ import annotations

import re

import pytest

from paas.server.app import create_app
from tests.fakes import fake_services
from tests.fakes_data import FakeData, NamedEngine
from tests.unit.test_dashboard import SHA1, sign_in

quiet = lambda _: None  # noqa: E731


@pytest.fixture
def dash(tmp_path):
    engine = NamedEngine()
    services = fake_services(tmp_path / "home", engine=engine, data=FakeData(engine))
    token = services.tokens.ensure_admin(services.settings.token_file)
    client = create_app(services.settings, services).test_client()
    client.token, client.services = token, services
    services.apps.create("hello")
    services.deployer.deploy_push("hello", SHA1, quiet)
    services.storage.mount("hello", "files:/data", "admin", quiet)
    services.storage.mount("hello", "old:/old", "admin", quiet)
    services.storage.unmount("hello", "old", "admin", quiet)
    services.datastores.create("postgres", "db", quiet)
    services.datastores.link("db", "hello", None, "admin", quiet)
    return client


def text(resp) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))


def test_the_app_page_shows_volumes_and_linked_services(dash):
    sign_in(dash)
    resp = dash.get("/apps/hello")
    page = text(resp)
    assert "files /data" in page and "old unmounted (data kept)" in page
    assert "db postgres 17" in page and "DATABASE_URL" in page
    password = dash.services.store.get_datastore("db").password
    assert password not in resp.get_data(as_text=True)


def test_the_services_page_is_for_admins(dash):
    sign_in(dash)
    resp = dash.get("/services")
    assert resp.status_code == 200
    page = text(resp)
    assert "db postgres 17" in page and "hello DATABASE_URL" in page
    assert dash.services.store.get_datastore("db").password not in resp.get_data(as_text=True)
    assert 'href="/services"' in dash.get("/").get_data(as_text=True)
    secret = dash.services.tokens.create("dev", apps=["hello"])
    other = create_app(dash.services.settings, dash.services).test_client()
    other.token = secret
    sign_in(other)
    assert other.get("/services").status_code == 403  # enforce_scope: an admin page
    assert 'href="/services"' not in other.get("/").get_data(as_text=True)
    assert "DATABASE_URL" in text(other.get("/apps/hello"))
