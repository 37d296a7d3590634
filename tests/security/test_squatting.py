"""Domain squatting (issue 9): an app claims a name that the platform gives another app, now or
later, or one that nginx would otherwise send elsewhere, and takes that name's traffic."""
from __future__ import annotations

import pytest

from paas.domain.claims import refusal
from paas.errors import Conflict, Forbidden
from tests.fakes import fake_services


@pytest.fixture
def svc(tmp_path):
    services = fake_services(tmp_path / "home")
    object.__setattr__(services.settings, "api_host", "paas.example.com")
    for app in ("mine", "theirs"):
        services.apps.create(app)
    return services


@pytest.mark.parametrize("domain, why", [
    ("theirs.localhost", "default host of app theirs"),
    ("future-app.localhost", "under the default host of app future-app (it need not exist yet)"),
    ("www.future-app.localhost", "under the default host of app future-app"),
    ("*.apps.localhost", "under the default host of app apps"),
    ("127.0.0.1", "is an IP address"),
    ("10.0.0.1", "is an IP address"),
    ("127.1.1", "is an IP address"),
    ("paas.example.com", "the platform's own host name (PAAS_API_HOST)"),
])
def test_an_app_cannot_claim_names_it_does_not_own(svc, domain, why):
    with pytest.raises((Forbidden, Conflict)) as refused:
        svc.domains.add("mine", domain)
    assert why in refused.value.message
    assert svc.store.list_domains("mine") == []


def test_an_app_may_claim_its_own_names_and_outside_ones(svc):
    assert svc.domains.add("mine", "www.mine.localhost") == ["mine.localhost",
                                                             "www.mine.localhost"]
    assert "www.example.org" in svc.domains.add("mine", "www.example.org")
    with pytest.raises(Conflict, match="already used by mine"):
        svc.domains.add("theirs", "www.example.org")


def test_localhost_names_are_refused_under_any_platform_domain():
    assert "localhost name" in refusal("evil.localhost", "mine", "apps.example.com")
    assert refusal("mine.apps.example.com", "mine", "apps.example.com") is None
    assert "default host of app other" in refusal("other.apps.example.com", "mine",
                                                  "apps.example.com")
    assert refusal("shop.example.com", "mine", "apps.example.com") is None


def test_an_app_whose_default_host_is_already_a_domain_is_refused(svc):
    """State from before the rule: a domain that is another (future) app's default host. That
    app cannot be created while the domain is held."""
    svc.store.add_domain("mine", "later.localhost")
    with pytest.raises(Conflict) as refused:
        svc.apps.create("later")
    assert refused.value.message == ("app name later refused: its default host later.localhost "
                                     "is a domain of app mine (remove it there first)")
    assert svc.store.get_app("later") is None


def test_the_api_says_why(tmp_path):
    from paas.server.app import create_app
    services = fake_services(tmp_path / "home")
    token = services.tokens.ensure_admin(services.settings.token_file)
    services.apps.create("mine")
    client = create_app(services.settings, services).test_client()
    resp = client.post("/api/v1/apps/mine/domains", json={"domain": "127.0.0.1"},
                       headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 403 and resp.get_json() == {
        "id": "forbidden",
        "message": "domain refused: 127.0.0.1 is an IP address: an app is served at host names only"}
