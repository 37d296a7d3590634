"""HTTPS test helpers: Let's Encrypt's test CA (Debian's `pebble`) and its mock DNS
(`pebble-challtestsrv`) on loopback with random ports, test certificate chains, and HTTPS
requests to the router with a name resolved to 127.0.0.1 (curl's --resolve)."""
from __future__ import annotations

import ipaddress
import json
import os
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support import free_port

PEM = serialization.Encoding.PEM


def key_pem(key) -> bytes:
    return key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@dataclass
class Issued:
    key: object
    cert: x509.Certificate

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(PEM)

    @property
    def key_pem(self) -> bytes:
        return key_pem(self.key)


def issue(subject: str, issuer: Issued | None = None, *, names: list[str] = (), ca: bool = False,
          days: float = 30, start: datetime | None = None, ips: list[str] = ()) -> Issued:
    """A certificate for `subject` (and DNS `names`), signed by `issuer` (None: self-signed)."""
    key = ec.generate_private_key(ec.SECP256R1())
    begin = start or datetime.now(timezone.utc) - timedelta(minutes=5)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, subject)])
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer.cert.subject if issuer else name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(begin)
               .not_valid_after(begin + timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names or ips:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]),
            critical=False)
    return Issued(key, builder.sign(issuer.key if issuer else key, hashes.SHA256()))


@dataclass
class Pebble:
    """pebble + pebble-challtestsrv. `point_here(name)` makes a name resolve to 127.0.0.1 in the
    mock DNS (nothing else resolves but over IPv6, to ::1 where nginx does not listen)."""
    workdir: Path
    validity: int | None = None  # seconds (certificateValidityPeriod), for renewal tests
    port: int = field(default_factory=free_port)
    management: int = field(default_factory=free_port)
    dns: int = field(default_factory=free_port)
    dns_management: int = field(default_factory=free_port)
    procs: list = field(default_factory=list)

    @property
    def directory(self) -> str:
        return f"https://127.0.0.1:{self.port}/dir"

    @property
    def ca_file(self) -> Path:
        return self.workdir / "pebble-listener-ca.pem"

    @property
    def root_file(self) -> Path:
        return self.workdir / "pebble-issuing-root.pem"

    @property
    def intermediate_file(self) -> Path:
        return self.workdir / "pebble-issuing-intermediate.pem"

    def settings(self) -> dict[str, str]:
        return {"PAAS_ACME_DIRECTORY": self.directory, "PAAS_ACME_CA_BUNDLE": str(self.ca_file),
                "PAAS_ACME_RESOLVER": f"127.0.0.1:{self.dns}", "PAAS_ACME_EMAIL": "ops@example.test"}

    def start(self, http_port: int) -> "Pebble":
        """`http_port`: where pebble validates HTTP-01 (the router's HTTP port)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        ca = issue("pebble listener test CA", ca=True)
        listener = issue("localhost", ca, names=["localhost"], ips=["127.0.0.1"])
        self.ca_file.write_bytes(ca.pem)
        (self.workdir / "listener.pem").write_bytes(listener.pem)
        (self.workdir / "listener.key").write_bytes(listener.key_pem)
        config = {"pebble": {
            "listenAddress": f"127.0.0.1:{self.port}",
            "managementListenAddress": f"127.0.0.1:{self.management}",
            "certificate": str(self.workdir / "listener.pem"),
            "privateKey": str(self.workdir / "listener.key"),
            "httpPort": http_port, "tlsPort": free_port(), "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
            **({"certificateValidityPeriod": self.validity} if self.validity else {})}}
        (self.workdir / "pebble.json").write_text(json.dumps(config))
        self._spawn("challtestsrv", ["pebble-challtestsrv", "-dns01", f"127.0.0.1:{self.dns}",
                                     "-http01", "", "-https01", "", "-tlsalpn01", "",
                                     "-management", f"127.0.0.1:{self.dns_management}",
                                     "-defaultIPv4", "", "-defaultIPv6", ""])
        self._spawn("pebble", ["pebble", "-config", str(self.workdir / "pebble.json"),
                               "-dnsserver", f"127.0.0.1:{self.dns}", "-strict=false"],
                    {"PEBBLE_VA_NOSLEEP": "1"})
        self.root_file.write_bytes(self._until_up(f"https://127.0.0.1:{self.management}/roots/0"))
        self.intermediate_file.write_bytes(
            self._until_up(f"https://127.0.0.1:{self.management}/intermediates/0"))
        return self

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.workdir / f"{name}.log", "wb")
        self.procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                           env={**os.environ, **(env or {})}))

    def _until_up(self, url: str, timeout: float = 30) -> bytes:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(url, context=context, timeout=5) as resp:
                    return resp.read()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _manage(self, path: str, body: dict) -> None:
        req = urllib.request.Request(f"http://127.0.0.1:{self.dns_management}{path}",
                                     data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=5):
            pass

    def point_here(self, name: str) -> None:
        self._manage("/add-a", {"host": name, "addresses": ["127.0.0.1"]})

    def point_elsewhere(self, name: str) -> None:
        """The name resolves, but to ::1, where the router does not listen."""
        self._manage("/add-aaaa", {"host": name, "addresses": ["::1"]})

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def curl(url: str, host: str, port: int, cafile: Path, *args: str) -> subprocess.CompletedProcess:
    """curl with `host` resolved to 127.0.0.1 on `port`, trusting `cafile` only."""
    return subprocess.run(["curl", "-sS", "--max-time", "20", "--cacert", str(cafile),
                           "--resolve", f"{host}:{port}:127.0.0.1", *args, url],
                          capture_output=True, text=True, timeout=30)


def served_serial(host: str, port: int, cafile: Path) -> str:
    """The serial (hex) of the certificate the router serves for `host` (SNI), verified."""
    context = ssl.create_default_context(cafile=str(cafile))
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    return format(x509.load_der_x509_certificate(der).serial_number, "x")
