"""HTTPS end to end (issue 11), against Let's Encrypt's test CA (pebble) and its mock DNS on
loopback: certificates issued for an app's default host and a custom domain, renewed by the
clock under 20 keep-alive HTTPS clients, a domain pointing elsewhere refused by the self-check,
manual certificates (preferred; bad ones refused), the 308 redirect and X-Forwarded-Proto, and
the control plane at https://PAAS_API_HOST (API, git push, the dashboard in Chromium)."""
from __future__ import annotations

import json
import ssl
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from paas.cli.main import main as cli
from tests.load import Load
from tests.support import free_port, start_platform, stop_platform
from tests.tls import Pebble, curl, issue, served_serial

VALIDITY = 90  # seconds: pebble's certificates renew by the clock within a test
API_HOST = "api.tls.test"


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A platform of its own (ACME on, PAAS_API_HOST set) with pebble, and one deployed app."""
    base = tmp_path_factory.mktemp("https")
    http_port = free_port()
    pebble = Pebble(base / "pebble", validity=VALIDITY).start(http_port)
    pebble.point_here(API_HOST)
    https_port = free_port()
    settings = {**pebble.settings(), "PAAS_ACME_HTTP_PORT": str(http_port),
                "PAAS_API_HOST": API_HOST, "PAAS_HTTPS_PORT": str(https_port),
                # git reaches https://API_HOST through the router: the name resolved to the
                # loopback, pebble's root trusted
                "GIT_SSL_CAINFO": str(pebble.root_file), "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "http.curloptResolve",
                "GIT_CONFIG_VALUE_0": f"{API_HOST}:{https_port}:127.0.0.1"}
    platform = start_platform(base, "tls", drain_seconds=1, settings=settings, http_port=http_port)
    platform.pebble = pebble
    try:
        _until(lambda: _serves(API_HOST, https_port, pebble.root_file),
               "the control plane's certificate")
        platform.deploy("web", "flask-hello", base)
        pebble.point_here("web.localhost")
        yield platform
    finally:
        stop_platform(platform)
        pebble.stop()


def certs(platform, app: str) -> dict[str, dict]:
    result = platform.paas("certs", "-a", app, "--json")
    assert result.returncode == 0, result.stderr
    return {row["domain"]: row for row in json.loads(result.stdout)}


def https(platform, host: str, path: str = "/", *args: str):
    return curl(f"https://{host}:{platform.https_port}{path}", host, platform.https_port,
                platform.pebble.root_file, *args)


def test_issue_for_the_default_host_and_a_custom_domain(tls):
    tls.pebble.point_here("www.web.test")
    assert tls.paas("domains:add", "www.web.test", "-a", "web").returncode == 0
    auto = tls.paas("certs:auto", "-a", "web")
    assert auto.returncode == 0, auto.stderr
    assert "self-check passed" in auto.stderr and "installed" in auto.stderr
    rows = certs(tls, "web")
    for host in ("web.localhost", "www.web.test"):
        assert rows[host]["state"] == "valid" and rows[host]["source"] == "acme", rows
        assert rows[host]["issuer"].startswith("Pebble"), rows
        assert rows[host]["next_renewal"] and not rows[host]["last_error"]
        answer = https(tls, host)
        assert (answer.returncode, answer.stdout) == (0, "hello from v1\n"), answer.stderr
    assert "certificate from Pebble" in tls.paas("logs", "-a", "web").stdout


def test_plain_http_is_redirected_and_the_app_sees_https(tls):
    _until_valid(tls, "web", "web.localhost")
    port = tls.http_port
    plain = curl(f"http://web.localhost:{port}/a/b?c=1", "web.localhost", port,
                 tls.pebble.root_file, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}")
    assert plain.stdout == f"308 https://web.localhost:{tls.https_port}/a/b?c=1"
    challenge = curl(f"http://web.localhost:{port}/.well-known/acme-challenge/abc", "web.localhost",
                     port, tls.pebble.root_file, "-w", " %{http_code}")
    assert challenge.stdout.startswith("abc.") and challenge.stdout.endswith(" 200")
    assert https(tls, "web.localhost", "/header/X-Forwarded-Proto").stdout == "https"
    assert "Strict-Transport-Security" not in https(tls, "web.localhost", "/", "-i").stdout
    assert tls.paas("certs:hsts", "on", "-a", "web").returncode == 0
    assert "strict-transport-security: max-age=31536000" in \
        https(tls, "web.localhost", "/", "-i").stdout.lower()
    assert tls.paas("certs:redirect", "off", "-a", "web").returncode == 0
    kept = curl(f"http://web.localhost:{port}/", "web.localhost", port, tls.pebble.root_file)
    assert kept.stdout == "hello from v1\n"
    assert tls.paas("certs:redirect", "on", "-a", "web").returncode == 0


def test_a_domain_pointing_elsewhere_fails_the_self_check_and_the_app_keeps_serving(tls):
    _until_valid(tls, "web", "web.localhost")
    tls.pebble.point_elsewhere("far.web.test")
    assert tls.paas("domains:add", "far.web.test", "-a", "web").returncode == 0
    again = tls.paas("certs:auto", "-a", "web")
    assert again.returncode == 1
    reason = f"far.web.test does not point at this server: [::1]:{tls.http_port}: connection refused"
    assert reason in again.stderr, again.stderr
    row = certs(tls, "web")["far.web.test"]
    assert (row["state"], row["last_error"]) == ("failed", reason)
    assert https(tls, "web.localhost").stdout == "hello from v1\n"
    assert reason in tls.paas("logs", "-a", "web").stdout
    assert tls.paas("domains:remove", "far.web.test", "-a", "web").returncode == 0
    _until(lambda: "far.web.test" not in certs(tls, "web"), "the removed domain's record goes")


def test_manual_certificates_win_and_bad_ones_are_refused(tls, tmp_path):
    root = issue("paas test root", ca=True, days=3650)
    middle = issue("paas test intermediate", root, ca=True, days=3650)
    leaf = issue("www.web.test", middle, names=["www.web.test", "other.example.test"])
    files = {"chain": leaf.pem + middle.pem + root.pem, "leaf": leaf.pem, "key": leaf.key_pem,
             "other-key": issue("x", names=["x.test"]).key_pem}
    old = issue("www.web.test", middle, names=["www.web.test"],
                start=datetime.now(timezone.utc) - timedelta(days=40))
    files.update({"old": old.pem + middle.pem + root.pem, "old-key": old.key_pem})
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)

    def add(cert: str, key: str):
        return tls.paas("certs:add", "--cert", str(tmp_path / cert), "--key", str(tmp_path / key),
                        "-a", "web")
    refused = {"other-key": add("chain", "other-key"), "old": add("old", "old-key"),
               "leaf": add("leaf", "key")}
    assert "the key does not match the certificate" in refused["other-key"].stderr
    assert "the certificate expired on" in refused["old"].stderr
    assert "the chain is incomplete" in refused["leaf"].stderr
    assert all(r.returncode == 1 for r in refused.values())

    added = add("chain", "key")
    assert added.returncode == 0 and "www.web.test" in added.stdout, added.stderr
    assert served_serial("www.web.test", tls.https_port, tmp_path / "chain") == \
        format(leaf.cert.serial_number, "x")
    row = certs(tls, "web")["www.web.test"]
    assert (row["source"], row["issuer"], row["next_renewal"]) == ("manual", "paas test intermediate", None)
    assert tls.paas("certs:remove", "www.web.test", "-a", "web").returncode == 0
    assert certs(tls, "web")["www.web.test"]["source"] == "acme"
    assert served_serial("www.web.test", tls.https_port, tls.pebble.root_file) != \
        format(leaf.cert.serial_number, "x")


def test_renewal_by_the_clock_under_https_load(tls):
    host = "web.localhost"
    _until_valid(tls, "web", host)
    first = served_serial(host, tls.https_port, tls.pebble.root_file)
    with Load(tls.https_port, host, clients=20, tls_ca=str(tls.pebble.root_file),
              max_seconds=VALIDITY * 2) as load:
        _until(lambda: served_serial(host, tls.https_port, tls.pebble.root_file) != first,
               "a renewed certificate", timeout=VALIDITY * 1.5)
        time.sleep(2)  # requests on the new certificate too
    result = load.stop()
    assert result.failed == 0, result.errors
    assert result.ok > 100 and result.bodies == {"hello from v1"}
    events = [l for l in tls.paas("logs", "-a", "web", "-n", "10000").stdout.splitlines()
              if "paas[certs]" in l]
    assert any("web.localhost: certificate from Pebble" in l for l in events[-3:]), events


def _until(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def _serves(host: str, port: int, cafile) -> bool:
    try:
        served_serial(host, port, cafile)
    except OSError:
        return False
    return True


def _until_valid(platform, app: str, host: str) -> None:
    _until(lambda: certs(platform, app).get(host, {}).get("state") == "valid",
           f"a valid certificate for {host}")


class Resolving(httpx.HTTPTransport):
    """Dials 127.0.0.1 for API_HOST, keeping the name for SNI and the certificate check."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == API_HOST:
            request.extensions = {**request.extensions, "sni_hostname": API_HOST}
            request.url = request.url.copy_with(host="127.0.0.1")
        return super().handle_request(request)


def test_the_control_plane_at_its_https_host(tls, tmp_path, capsys):
    url = f"https://{API_HOST}:{tls.https_port}"
    env = {k: v for k, v in tls.env.items() if k not in ("PAAS_API_URL", "PAAS_TOKEN")}
    env["HOME"] = str(tmp_path)
    transport = Resolving(verify=ssl.create_default_context(cafile=str(tls.pebble.root_file)))
    assert cli(["login", "--api-url", url, "--token", tls.token], env, transport=transport) == 0
    capsys.readouterr()
    assert cli(["apps:info", "-a", "web", "--json"], env, transport=transport) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["git_url"] == f"{url}/git/web.git"  # and the fixture pushed there (git:remote)
    plain = curl(f"http://{API_HOST}:{tls.http_port}/api/v1/health", API_HOST, tls.http_port,
                 tls.pebble.root_file, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}")
    assert plain.stdout == f"308 {url}/api/v1/health"
    printed = tls.control("up").stdout
    assert f"Dashboard:   {url}/" in printed and f"--api-url {url} " in printed


def test_the_control_plane_takes_a_manual_certificate(tls, tmp_path):
    listed = json.loads(tls.paas("certs", "--control-plane", "--json").stdout)
    assert [(r["domain"], r["source"], r["state"]) for r in listed] == [(API_HOST, "acme", "valid")]
    root = issue("ops root", ca=True, days=3650)
    leaf = issue(API_HOST, root, names=[API_HOST])
    (tmp_path / "chain.pem").write_bytes(leaf.pem + root.pem)
    (tmp_path / "key.pem").write_bytes(leaf.key_pem)
    added = tls.paas("certs:add", "--control-plane", "--cert", str(tmp_path / "chain.pem"),
                     "--key", str(tmp_path / "key.pem"))
    assert added.returncode == 0, added.stderr
    mine = format(leaf.cert.serial_number, "x")
    assert served_serial(API_HOST, tls.https_port, tmp_path / "chain.pem") == mine
    assert tls.paas("certs:remove", "--control-plane", API_HOST).returncode == 0
    assert served_serial(API_HOST, tls.https_port, tls.pebble.root_file) != mine


def test_dashboard_sign_in_over_https_in_chromium(tls):
    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.test_dashboard import ARTIFACTS, CHROMIUM_ARGS

    url = f"https://{API_HOST}:{tls.https_port}"
    assert tls.paas("certs:auto", "-a", "web").returncode == 0  # the app's row shows it
    # Chromium trusts its own store only: accept the chain pebble's intermediate signs
    spki = _spki_sha256(tls.pebble.intermediate_file)
    args = [*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {API_HOST} 127.0.0.1",
            f"--ignore-certificate-errors-spki-list={spki}"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        try:
            page = browser.new_page()
            page.set_default_timeout(60_000)
            page.goto(url + "/")
            expect(page).to_have_url(url + "/sign-in?next=/")
            page.fill("#token", tls.token)
            page.click("button:has-text('Sign in')")
            expect(page).to_have_url(url + "/")
            page.goto(url + "/apps/web")
            expect(page.locator("#certs tr[data-domain='web.localhost'] .state")).to_have_text("valid")
            page.screenshot(path=str(ARTIFACTS / "https-app.png"), full_page=True)
        finally:
            browser.close()


def _spki_sha256(pem_file) -> str:
    import base64
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificates(pem_file.read_bytes())[0]
    der = cert.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()
