"""Reading and checking X.509 certificates and keys (the `cryptography` library): what a PEM
chain says (names, issuer, serial, validity), and whether a manual certificate can be served:
its key matches, it has not expired, and its chain is complete."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from paas.errors import InvalidInput


@dataclass(frozen=True)
class CertInfo:
    names: tuple[str, ...]
    issuer: str
    serial: str
    not_before: float
    not_after: float


def new_key_pem() -> bytes:
    """A fresh P-256 key, PEM (PKCS#8), for one certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _chain(pem: bytes) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise InvalidInput("the certificate file holds no PEM certificate") from None
    return certs


def _names(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(n.lower() for n in san.get_values_for_type(x509.DNSName))


def _issuer(cert: x509.Certificate) -> str:
    names = cert.issuer.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME) or \
        cert.issuer.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.issuer.rfc4514_string()


def describe(pem: bytes) -> CertInfo:
    leaf = _chain(pem)[0]
    return CertInfo(names=_names(leaf), issuer=_issuer(leaf), serial=format(leaf.serial_number, "x"),
                    not_before=leaf.not_valid_before_utc.timestamp(),
                    not_after=leaf.not_valid_after_utc.timestamp())


def check_manual(pem: bytes, key_pem: bytes, now: float, trusted: str = "") -> CertInfo:
    """The certificate's description, or InvalidInput saying why it cannot be served.
    `trusted`: a CA bundle whose roots may end the chain (else it must end in a self-signed root)."""
    chain = _chain(pem)
    _check_key(chain[0], key_pem)
    leaf = chain[0]
    if leaf.not_valid_after_utc.timestamp() <= now:
        raise InvalidInput(f"the certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d %H:%M} UTC")
    if leaf.not_valid_before_utc.timestamp() > now:
        raise InvalidInput(f"the certificate is not valid before {leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC")
    _check_chain(chain, trusted)
    return describe(pem)


def _check_key(leaf: x509.Certificate, key_pem: bytes) -> None:
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        raise InvalidInput("the key file holds no unencrypted PEM private key") from None
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*spki) != leaf.public_key().public_bytes(*spki):
        raise InvalidInput("the key does not match the certificate")


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, Exception):  # InvalidSignature, unsupported algorithms
        return False
    return True


def _check_chain(chain: list[x509.Certificate], trusted: str) -> None:
    for n, (cert, issuer) in enumerate(zip(chain, chain[1:]), start=1):
        if not _signed_by(cert, issuer):
            raise InvalidInput(f"the chain is broken: certificate {n} ({cert.subject.rfc4514_string()}) "
                               f"is not issued by the next one ({issuer.subject.rfc4514_string()})")
    last = chain[-1]
    if last.issuer == last.subject and _signed_by(last, last):
        return
    if any(root.subject == last.issuer and _signed_by(last, root) for root in _roots(trusted)):
        return
    raise InvalidInput(
        f"the chain is incomplete: {last.subject.rfc4514_string()} is issued by "
        f"{last.issuer.rfc4514_string()}, which is neither in the file nor a trusted root "
        "(put the intermediate certificates after the certificate)")


def _roots(bundle: str) -> list[x509.Certificate]:
    if not bundle or not Path(bundle).is_file():
        return []
    try:
        return x509.load_pem_x509_certificates(Path(bundle).read_bytes())
    except ValueError:
        return []


def utc(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, timezone.utc)
