"""The certificate use cases over fakes (paas.services.certs): orders, failures that keep the
running certificate, manual certificates, removed domains and destroyed apps."""
from __future__ import annotations

import os
import stat

from dataclasses import replace

import pytest

from paas.errors import InvalidInput
from paas.services.certs import CertFailed
from tests.fakes import FakeAcme, FakeSelfCheck, fake_services, self_signed


@pytest.fixture
def svc(tmp_path):
    services = fake_services(tmp_path / "home", acme=FakeAcme(), self_check=FakeSelfCheck())
    services.apps.create("web")
    services.proxy.apply_app("web", "# routed")  # as after a deploy
    return services


def states(svc) -> dict[str, tuple[str, str]]:
    return {r.domain: (r.state, r.source) for r in svc.certs.status("web")}


def test_auto_orders_every_domain_and_writes_private_files(svc):
    svc.domains.add("web", "www.web.test")
    lines = []
    svc.certs.enable_auto("web", lines.append)
    assert states(svc) == {"web.localhost": ("valid", "acme"), "www.web.test": ("valid", "acme")}
    assert any("self-check passed" in l for l in lines)
    text = svc.proxy.read_app("web")
    assert "listen 0.0.0.0:443 ssl;" in text and "return 308 https://$host$request_uri;" in text
    assert '"$1.THUMB"' in text
    for cert in svc.store.list_certs("web"):
        for path in (cert.cert_path, cert.key_path):
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(cert.key_path)).st_mode) == 0o700


def test_a_failed_renewal_keeps_the_running_certificate(svc):
    svc.certs.enable_auto("web", lambda _: None)
    before = replace(svc.store.list_certs("web")[0], renew_at=1.0)  # due since 1970
    svc.store.put_cert(before)
    svc.certs.acme.refuse = "rate limited"
    with pytest.raises(CertFailed, match="rate limited"):
        svc.certs.obtain("web", "web.localhost", lambda _: None)
    after = svc.store.list_certs("web")[0]
    assert (after.state, after.cert_path, after.failures) == ("failed", before.cert_path, 1)
    assert os.path.exists(before.cert_path) and before.cert_path in svc.proxy.read_app("web")
    assert "rate limited" in svc.events.read("web")[-1][2]


def test_the_self_check_names_where_the_domain_points(svc):
    svc.domains.add("web", "far.web.test")
    svc.certs.check.elsewhere["far.web.test"] = ("[::1]:80", "connection refused")
    with pytest.raises(CertFailed) as failed:
        svc.certs.enable_auto("web", lambda _: None)
    assert failed.value.message == "far.web.test does not point at this server: [::1]:80: connection refused"
    assert svc.certs.acme.issued == ["web.localhost"]  # no order was spent on it


def test_manual_wins_and_removing_a_domain_or_the_app_removes_its_files(svc, tmp_path):
    svc.domains.add("web", "www.web.test")
    svc.certs.enable_auto("web", lambda _: None)
    cert, key = self_signed(["www.web.test"])
    assert svc.certs.add_manual("web", cert, key) == ["www.web.test"]
    assert states(svc)["www.web.test"] == ("valid", "manual")
    with pytest.raises(InvalidInput, match="covers none of web's domains"):
        svc.certs.add_manual("web", *self_signed(["elsewhere.test"]))
    files = {c.domain: c.cert_path for c in svc.store.list_certs("web")}
    svc.domains.remove("web", "www.web.test")
    svc.certs.renew_due()
    assert {c.domain for c in svc.store.list_certs("web")} == {"web.localhost"}
    assert not os.path.exists(files["www.web.test"])
    svc.apps.destroy("web")
    assert svc.store.list_certs() == [] and not os.path.exists(files["web.localhost"])
