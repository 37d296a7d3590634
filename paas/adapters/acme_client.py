"""The only module that speaks ACME (certbot's `acme` library): the account, orders over
HTTP-01, and the server's renewal-info time where it offers one.

The account key (P-256, `alg=ES256`) is kept per ACME directory under $PAAS_HOME/certs/acme/,
0600. HTTP-01 is answered by nginx itself on every host's HTTP port: a challenge response is
`<token>.<account thumbprint>` (RFC 8555 §8.3), so the router answers any token with the
thumbprint rendered into its config, and no challenge file is ever written.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import josepy as jose
from acme import challenges, client, crypto_util, errors, messages
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from paas.errors import PaasError

ORDER_TIMEOUT = 120  # seconds an order may take from creation to the certificate


class AcmeError(PaasError):
    id = "acme_failed"
    status = 502


class AcmeClient:
    def __init__(self, directory: str, email: str, ca_bundle: str, root: Path) -> None:
        self.directory = directory
        self.email = email
        self.ca_bundle = ca_bundle
        self.dir = Path(root) / "acme" / hashlib.sha256(directory.encode()).hexdigest()[:16]
        self._client: client.ClientV2 | None = None
        self._lock = threading.Lock()

    def enabled(self) -> bool:
        return bool(self.directory)

    def _key(self) -> ec.EllipticCurvePrivateKey:
        path = self.dir / "account.key"
        if not path.exists():
            for p in (self.dir.parent, self.dir):
                p.mkdir(mode=0o700, parents=True, exist_ok=True)
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
            (self.dir / "directory.json").write_text(json.dumps({"directory": self.directory}))
        return serialization.load_pem_private_key(path.read_bytes(), password=None)

    def thumbprint(self) -> str:
        """The account key's thumbprint (made on first use), for the challenge answers."""
        with self._lock:
            jwk = jose.JWKEC(key=self._key())
        return jose.b64encode(jwk.thumbprint()).decode()

    def _acme(self) -> client.ClientV2:
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> client.ClientV2:
        net = client.ClientNetwork(jose.JWKEC(key=self._key()), alg=jose.ES256,
                                   verify_ssl=self.ca_bundle or True, user_agent="paas")
        acme = client.ClientV2(client.ClientV2.get_directory(self.directory, net), net)
        registration = messages.NewRegistration.from_data(
            email=self.email or None, terms_of_service_agreed=True)
        try:
            acme.new_account(registration)
        except errors.ConflictError as exists:  # the key has an account: use it
            net.account = messages.RegistrationResource(uri=exists.location,
                                                        body=messages.Registration())
        return acme

    def issue(self, domain: str, key_pem: bytes, on_line: Callable[[str], None]) -> bytes:
        """Order a certificate for `domain`, answer HTTP-01 (nginx does), return the chain."""
        try:
            return self._issue(domain, key_pem, on_line)
        except (errors.Error, messages.Error, OSError, ValueError) as exc:
            self._client = None  # a fresh connection (and nonce) next time
            raise AcmeError(f"the ACME server refused {domain}: {_reason(exc)}") from None

    def _issue(self, domain: str, key_pem: bytes, on_line: Callable[[str], None]) -> bytes:
        acme = self._acme()
        order = acme.new_order(crypto_util.make_csr(key_pem, [domain]))
        on_line(f"ordered a certificate for {domain} from {self.directory}")
        for authz in order.authorizations:
            if authz.body.status == messages.STATUS_VALID:
                continue
            chall = next((c for c in authz.body.challenges
                          if isinstance(c.chall, challenges.HTTP01)), None)
            if chall is None:
                raise AcmeError(f"the ACME server offers no HTTP-01 challenge for {domain}")
            acme.answer_challenge(chall, chall.response(acme.net.key))
        on_line("answered the HTTP-01 challenge; waiting for validation")
        deadline = datetime.now() + timedelta(seconds=ORDER_TIMEOUT)
        done = acme.poll_and_finalize(order, deadline=deadline)
        return done.fullchain_pem.encode()

    def renewal_time(self, chain_pem: bytes) -> float | None:
        """The server's suggested renewal time (ARI), or None where it offers none."""
        try:
            suggested, _ = self._acme().renewal_time(chain_pem)
        except Exception:  # ARI is optional: any trouble means "no suggestion"
            return None
        if suggested is None:
            return None
        return suggested.replace(tzinfo=suggested.tzinfo or timezone.utc).timestamp()


def _reason(exc: Exception) -> str:
    if isinstance(exc, errors.ValidationError):
        problems = [a.body.challenges for a in exc.failed_authzrs]
        details = [str(c.error.detail) for cs in problems for c in cs if c.error]
        return "; ".join(details) or "validation failed"
    if isinstance(exc, messages.Error):
        return exc.detail or exc.typ or str(exc)
    return f"{type(exc).__name__}: {exc}"
