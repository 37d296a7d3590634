"""Certificates as decisions: which certificate serves a domain, which domains need an order now,
when the next renewal falls due, and what `paas certs` shows. Pure functions of the stored
records and the clock; the renewal loop (paas.services.certs) only carries them out.

A certificate's owner is an app's name, or CONTROL ('') for the control plane's own host.
Sources are named strategies: `acme` (ordered and renewed by the platform) and `manual`
(installed by the user, never renewed, and preferred over acme while it is valid).
"""
from __future__ import annotations

from dataclasses import dataclass

ACME, MANUAL = "acme", "manual"
CONTROL = ""  # the owner of PAAS_API_HOST's certificate
BACKOFF_BASE = 60.0  # seconds before the first retry of a failed order; doubles each time
BACKOFF_MAX = 6 * 3600.0


@dataclass(frozen=True)
class Cert:
    owner: str
    domain: str
    source: str  # acme | manual
    state: str  # valid | renewing | failed
    cert_path: str = ""
    key_path: str = ""
    issuer: str = ""
    serial: str = ""
    not_before: float | None = None
    not_after: float | None = None
    renew_at: float | None = None  # the ACME server's renewal-info time, where it offers one
    last_error: str = ""
    failures: int = 0
    retry_at: float | None = None

    def usable(self, now: float) -> bool:
        return bool(self.cert_path) and self.not_after is not None and self.not_after > now


@dataclass(frozen=True)
class TlsOptions:
    auto: bool = False
    redirect: bool = True
    hsts: bool = False


@dataclass(frozen=True)
class Plan:
    issue: tuple[tuple[str, str], ...]  # (owner, domain) to order now
    drop: tuple[Cert, ...]  # records whose domain is gone, or acme ones no longer wanted
    next_at: float | None  # when the next order falls due, if none is due now


@dataclass(frozen=True)
class Routes:
    """How one owner's host names are served: plain HTTP, a 308 to HTTPS, and the TLS sites."""
    plain: tuple[str, ...]
    redirect: tuple[str, ...]
    sites: tuple[tuple[str, str, str], ...]  # (domain, certificate file, key file)


@dataclass(frozen=True)
class Status:
    domain: str
    source: str  # acme | manual | '' (none)
    issuer: str
    expires: float | None
    state: str  # valid | renewing | failed | none
    next_renewal: float | None
    last_error: str


def renewal_time(cert: Cert) -> float | None:
    """When a certificate should be renewed: at the ACME server's renewal-info time where it
    offered one, else when a third of its lifetime remains."""
    if cert.renew_at is not None:
        return cert.renew_at
    if cert.not_before is None or cert.not_after is None:
        return None
    return cert.not_after - (cert.not_after - cert.not_before) / 3


def backoff(failures: int) -> float:
    """Seconds to wait after the `failures`-th failure in a row."""
    return min(BACKOFF_BASE * 2 ** max(failures - 1, 0), BACKOFF_MAX)


def due_at(cert: Cert | None, now: float) -> float:
    """When an acme certificate (None: none yet) should next be ordered."""
    if cert is None or cert.state == "renewing":  # renewing at rest: the order was cut off
        return now
    if cert.state == "failed" and cert.retry_at is not None:
        return cert.retry_at
    return renewal_time(cert) or now


def covers(names: list[str] | tuple[str, ...], domain: str) -> bool:
    """Whether a certificate for `names` (its SANs) is valid for `domain` (RFC 6125 wildcards:
    one whole leftmost label)."""
    for name in names:
        name = name.lower().rstrip(".")
        if name == domain:
            return True
        if name.startswith("*.") and domain.split(".", 1)[-1] == name[2:] and "." in domain:
            return True
    return False


def serving(certs: list[Cert], now: float) -> dict[str, Cert]:
    """The certificate that serves each domain: a valid manual one wins over a valid acme one."""
    chosen: dict[str, Cert] = {}
    for cert in sorted(certs, key=lambda c: c.source != MANUAL):
        if cert.usable(now) and cert.domain not in chosen:
            chosen[cert.domain] = cert
    return chosen


def plan(domains: dict[str, list[str]], auto: set[str], certs: list[Cert], now: float) -> Plan:
    """`domains`: every owner's host names; `auto`: owners with automatic certificates on."""
    usable_manual = {c.domain for c in certs if c.source == MANUAL and c.usable(now)}
    acme = {c.domain: c for c in certs if c.source == ACME}
    issue, later = [], []
    for owner in sorted(auto):
        for domain in domains.get(owner, []):
            if domain in usable_manual or domain.startswith("*."):  # HTTP-01 has no wildcards
                continue
            at = due_at(acme.get(domain), now)
            if at <= now:
                issue.append((owner, domain))
            else:
                later.append(at)
    drop = [c for c in certs if domain_gone(c, domains)
            or (c.source == ACME and c.owner not in auto)]
    return Plan(tuple(issue), tuple(sorted(drop, key=lambda c: (c.owner, c.domain, c.source))),
                min(later, default=None))


def domain_gone(cert: Cert, domains: dict[str, list[str]]) -> bool:
    return cert.domain not in domains.get(cert.owner, [])


def routes(names: list[str], certs: list[Cert], options: TlsOptions, now: float) -> Routes:
    """A host with a valid certificate is served over TLS and, unless redirects are off,
    answered on plain HTTP with a 308 (ACME challenges excepted, in the template)."""
    served = serving(certs, now)
    secure = [n for n in names if n in served]
    redirect = secure if options.redirect else []
    return Routes(plain=tuple(n for n in names if n not in redirect), redirect=tuple(redirect),
                  sites=tuple((n, served[n].cert_path, served[n].key_path) for n in secure))


def status(names: list[str], certs: list[Cert], options: TlsOptions, now: float) -> list[Status]:
    """One row per host name, as `paas certs` and the dashboard show it."""
    served = serving(certs, now)
    acme = {c.domain: c for c in certs if c.source == ACME}
    rows = []
    for name in names:
        shown = served.get(name) or acme.get(name)
        order = acme.get(name)
        if order is not None and order.state in ("renewing", "failed") and \
                (shown is order or shown.source == ACME):
            state = order.state
        else:
            state = "valid" if name in served else "none"
        next_renewal = None
        if options.auto and not (shown and shown.source == MANUAL and name in served) \
                and not name.startswith("*."):
            next_renewal = due_at(order, now)
        rows.append(Status(
            domain=name, source=shown.source if shown else "", issuer=shown.issuer if shown else "",
            expires=shown.not_after if shown else None, state=state, next_renewal=next_renewal,
            last_error=order.last_error if order is not None else ""))
    return rows
