"""The platform's private image registry for the `swarm` scheduler: Debian's `docker-registry`
(Distribution 2.8), with TLS from a CA of the platform's own and a password (htpasswd, bcrypt).

Owns PAAS_HOME/registry (0700): the CA, the server's key and certificate, the htpasswd file,
the password, the config and the stored images. Nodes trust the CA through
`/etc/docker/certs.d/ADDR:PORT/ca.crt` (what `paas nodes:join-command` prints).
"""
from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from paas.errors import PaasError

USER = "paas"
CONFIG = """version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {root}/data
  delete:
    enabled: true
http:
  addr: {addr}:{port}
  tls:
    certificate: {root}/server.crt
    key: {root}/server.key
auth:
  htpasswd:
    realm: paas
    path: {root}/htpasswd
"""


class RegistryError(PaasError):
    id = "registry_error"
    status = 502


@dataclass(frozen=True)
class Registry:
    host: str  # ADDR:PORT, as images are named
    ca_pem: str
    user: str
    password: str


def ensure(root: Path, addr: str, port: int, binary: str = "docker-registry") -> tuple[Registry, subprocess.Popen | None]:
    """Make the registry's files once, and start it unless something answers on ADDR:PORT
    already (the registry of an earlier run of the platform). The process is the caller's."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    (root / "data").mkdir(mode=0o700, exist_ok=True)
    if not (root / "ca.crt").exists():
        _make_ca(root)
    _server_cert(root, addr)
    password_file = root / "password"
    if not password_file.exists():
        _write(password_file, secrets.token_urlsafe(24))
        hashed = subprocess.run(["htpasswd", "-Bin", USER], input=password_file.read_text(),
                                capture_output=True, text=True, check=True).stdout
        _write(root / "htpasswd", hashed)
    _write(root / "config.yml", CONFIG.format(root=root, addr=addr, port=port))
    registry = Registry(f"{addr}:{port}", (root / "ca.crt").read_text(), USER,
                        password_file.read_text())
    if _answers(addr, port):
        return registry, None
    log = open(root / "registry.log", "ab")
    proc = subprocess.Popen([binary, "serve", str(root / "config.yml")], stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 20
    while not _answers(addr, port):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RegistryError(f"the registry did not start on {addr}:{port}: see {root}/registry.log")
        time.sleep(0.05)
    return registry, proc


def _answers(addr: str, port: int) -> bool:
    try:
        with socket.create_connection((addr, port), timeout=0.5):
            return True
    except OSError:
        return False


def _write(path: Path, text: str | bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(text.encode() if isinstance(text, str) else text)


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _make_ca(root: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "paas registry CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256()))
    _write(root / "ca.key", _key_pem(key))
    _write(root / "ca.crt", cert.public_bytes(serialization.Encoding.PEM))


def _server_cert(root: Path, addr: str) -> None:
    """A server certificate for ADDR (made again when the address changes)."""
    marker = root / "server.addr"
    if marker.exists() and marker.read_text() == addr and (root / "server.crt").exists():
        return
    ca_key = serialization.load_pem_private_key((root / "ca.key").read_bytes(), None)
    ca = x509.load_pem_x509_certificate((root / "ca.crt").read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    try:
        san = x509.IPAddress(ipaddress.ip_address(addr))
    except ValueError:
        san = x509.DNSName(addr)
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, addr)]))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName([san]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write(root / "server.key", _key_pem(key))
    _write(root / "server.crt", cert.public_bytes(serialization.Encoding.PEM))
    _write(marker, addr)
