"""Certificates: automatic ones from an ACME CA, manual ones from the user, and the renewal loop.

Deciding is paas.domain.certs (which domains need an order now, which certificate serves a
host); this module carries it out. An order is preceded by a self-check through the router;
every swap writes new files, points nginx at them (`nginx -t`, reload) and only then removes
the old ones, so a failure leaves the running certificate serving. Failures back off and show
in `paas certs`, the dashboard and `paas logs`.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import replace
from datetime import datetime, timezone
from typing import Callable

from paas.domain.certs import (ACME, CONTROL, MANUAL, Cert, Status, TlsOptions, backoff, covers,
                               due_at, plan, serving, status)
from paas.errors import Conflict, InvalidInput, NotFound, PaasError
from paas.ports import Acme, CertFiles, Events, LineWriter, SelfCheck, Store, X509
from paas.services.router import Router
from paas.settings import Settings

log = logging.getLogger("paas.certs")


class CertFailed(PaasError):
    id = "cert_failed"
    status = 422


class Certs:
    def __init__(self, settings: Settings, store: Store, router: Router,
                 reroute: Callable[[str], None], lock: Callable[[str], threading.Lock],
                 acme: Acme | None, x509: X509, files: CertFiles, check: SelfCheck,
                 events: Events) -> None:
        self.settings, self.store, self.router = settings, store, router
        self._reroute_app, self.lock = reroute, lock
        self.acme, self.x509, self.files, self.check, self.events = acme, x509, files, check, events
        self._orders: dict[str, threading.Lock] = {}
        self._orders_lock = threading.Lock()
        self._wake = threading.Event()

    # what users ask
    def status(self, app: str) -> list[Status]:
        options = self.store.get_tls(app) if app != CONTROL else TlsOptions(auto=self._acme_on())
        return status(self.names(app), self.store.list_certs(app), options, time.time())

    def names(self, owner: str) -> list[str]:
        """An app's host names, or the control plane's (PAAS_API_HOST)."""
        if owner == CONTROL:
            return [self.settings.api_host] if self.settings.api_host else []
        return self.router.server_names(owner)

    def enable_auto(self, app: str, on_line: LineWriter) -> list[Status]:
        """Automatic certificates for every domain of the app, now and added later; orders what
        is due now, streaming progress. Fails (after trying all) if any order failed."""
        if not self._acme_on():
            raise Conflict("ACME is off (PAAS_ACME_DIRECTORY is empty): install certificates "
                           "with certs:add")
        self.store.set_tls(app, replace(self.store.get_tls(app), auto=True))
        failed = []
        for domain in self._wanted_now(app):
            try:
                self.obtain(app, domain, on_line)
            except PaasError as exc:
                on_line(f"{domain}: {exc.message}")
                failed.append(exc.message)
        if failed:
            raise CertFailed(failed[0] if len(failed) == 1 else
                             f"{len(failed)} certificates failed; first: {failed[0]}")
        return self.status(app)

    def _wanted_now(self, app: str) -> list[str]:
        """What certs:auto orders: what is due, and what has no certificate (failed ones too:
        the user asks again, whatever the backoff)."""
        served = serving(self.store.list_certs(app), time.time())
        due = {d for owner, d in self._plan().issue if owner == app}
        return [d for d in self.router.server_names(app)
                if d in due or (d not in served and not d.startswith("*."))]

    def disable_auto(self, app: str) -> list[Status]:
        self.store.set_tls(app, replace(self.store.get_tls(app), auto=False))
        for cert in self.store.list_certs(app):
            if cert.source == ACME:
                self._drop(cert)
        self.events.write(app, "certs", "automatic certificates off")
        return self.status(app)

    def set_options(self, app: str, redirect: bool | None = None,
                    hsts: bool | None = None) -> TlsOptions:
        options = self.store.get_tls(app)
        options = replace(options, redirect=options.redirect if redirect is None else redirect,
                          hsts=options.hsts if hsts is None else hsts)
        self.store.set_tls(app, options)
        self._reroute(app)
        return options

    def add_manual(self, app: str, cert_pem: bytes, key_pem: bytes) -> list[str]:
        """Install a manual certificate for the app's domains in its SANs; they prefer it."""
        info = self.x509.check_manual(cert_pem, key_pem, time.time(), self.settings.ca_bundle)
        domains = [d for d in self.names(app) if covers(info.names, d)]
        if not domains:
            whose = f"{app}'s domains" if app != CONTROL else "PAAS_API_HOST"
            raise InvalidInput(f"the certificate covers none of {whose} "
                               f"(it names {', '.join(info.names) or 'no DNS name'})")
        old = [c for c in self.store.list_certs(app) if c.source == MANUAL and c.domain in domains]
        new = []
        for domain in domains:
            cert_path, key_path = self.files.write(app, domain, MANUAL, info.serial, cert_pem, key_pem)
            new.append(Cert(app, domain, MANUAL, "valid", cert_path, key_path, info.issuer,
                            info.serial, info.not_before, info.not_after))
            self.store.put_cert(new[-1])
        try:
            self._swap(app, old, new)
        except PaasError:
            for cert in new:  # the previous records and files are what nginx still serves
                self.store.delete_cert(cert.domain, MANUAL)
                self.files.remove(cert.cert_path, cert.key_path)
            for cert in old:
                self.store.put_cert(cert)
            raise
        self._event(app, f"manual certificate for {', '.join(domains)} "
                         f"(serial {info.serial}, until {_day(info.not_after)})")
        return domains

    def remove(self, app: str, domain: str) -> None:
        mine = [c for c in self.store.list_certs(app) if c.domain == domain.lower()]
        if not mine:
            raise NotFound(f"{app} has no certificate for {domain}")
        cert = next((c for c in mine if c.source == MANUAL), mine[0])
        self._drop(cert)
        self._event(app, f"removed the {cert.source} certificate of {domain}")

    def remove_owner(self, owner: str) -> None:
        """An app is destroyed: its certificates, files and options go."""
        self.store.delete_certs(owner)
        self.files.remove_owner(owner)

    # ordering
    def obtain(self, owner: str, domain: str, on_line: LineWriter) -> Cert:
        """Self-check, order, install: the new certificate, or CertFailed with the reason (the
        previous certificate, if any, keeps serving)."""
        with self._order_lock(domain):
            previous = next((c for c in self.store.list_certs(owner)
                             if c.domain == domain and c.source == ACME), None)
            now = time.time()
            if previous is not None and previous.state == "valid" and previous.usable(now) \
                    and due_at(previous, now) > now:
                return previous  # ordered meanwhile (the loop and certs:auto may both ask)
            base = previous or Cert(owner, domain, ACME, "renewing")
            self.store.put_cert(replace(base, state="renewing"))
            try:
                chain, key = self._order(owner, domain, on_line)
            except PaasError as exc:
                self._failed(base, exc.message)
                raise CertFailed(exc.message) from None
            return self._install(base, previous, chain, key, on_line)

    def _order(self, owner: str, domain: str, on_line: LineWriter) -> tuple[bytes, bytes]:
        assert self.acme is not None
        self._reroute(owner)  # the router answers challenges with this account's thumbprint
        self._self_check(domain, on_line)
        key = self.x509.new_key_pem()
        return self.acme.issue(domain, key, on_line), key

    def _self_check(self, domain: str, on_line: LineWriter) -> None:
        token = secrets.token_urlsafe(24)
        expected = f"200 {token}.{self.acme.thumbprint()}"
        port = self.settings.acme_http_port
        where, answer = self.check.fetch(domain, port, f"/.well-known/acme-challenge/{token}")
        if answer != expected:
            if not where:
                said = answer
            elif answer[:3].isdigit():
                said = f"{where} answered {answer[:120]!r}"
            else:
                said = f"{where}: {answer}"
            raise CertFailed(f"{domain} does not point at this server: {said}")
        on_line(f"{domain}: self-check passed (reached this router at {where})")

    def _install(self, base: Cert, previous: Cert | None, chain: bytes, key: bytes,
                 on_line: LineWriter) -> Cert:
        info = self.x509.describe(chain)
        cert_path, key_path = self.files.write(base.owner, base.domain, ACME, info.serial, chain, key)
        new = Cert(base.owner, base.domain, ACME, "valid", cert_path, key_path, info.issuer,
                   info.serial, info.not_before, info.not_after,
                   renew_at=self.acme.renewal_time(chain))
        self.store.put_cert(new)
        try:
            self._swap(base.owner, [previous] if previous else [], [new])
        except PaasError as exc:
            self._failed(base, f"nginx refused the new certificate: {exc.message}")
            self.files.remove(cert_path, key_path)
            raise CertFailed(exc.message) from None
        message = (f"{base.domain}: certificate from {info.issuer} installed "
                   f"(serial {info.serial}, valid until {_day(info.not_after)})")
        on_line(message)
        self._event(base.owner, message)
        return new

    def _failed(self, cert: Cert, message: str) -> None:
        failures = cert.failures + 1
        self.store.put_cert(replace(cert, state="failed", last_error=message, failures=failures,
                                    retry_at=time.time() + backoff(failures)))
        self._event(cert.owner, f"{cert.domain}: certificate failed ({message}); "
                                f"retrying in {backoff(failures):.0f}s")

    def _swap(self, owner: str, old: list[Cert], kept: list[Cert]) -> None:
        """nginx is pointed at the current records; then the files only `old` named go."""
        self._reroute(owner)
        in_use = {p for c in kept for p in (c.cert_path, c.key_path)}
        for cert in old:
            self.files.remove(*(p for p in (cert.cert_path, cert.key_path) if p not in in_use))

    def _drop(self, cert: Cert) -> None:
        self.store.delete_cert(cert.domain, cert.source)
        if cert.owner == CONTROL or self.store.get_app(cert.owner):
            self._reroute(cert.owner)
        self.files.remove(cert.cert_path, cert.key_path)

    def _reroute(self, owner: str) -> None:
        if owner == CONTROL:
            self.router.ensure_control()
            return
        with self.lock(owner):
            self._reroute_app(owner)

    # the renewal loop
    def _acme_on(self) -> bool:
        return self.acme is not None and self.acme.enabled()

    def _plan(self):
        domains = {app.name: self.router.server_names(app.name) for app in self.store.list_apps()}
        auto = self.store.auto_tls_owners() & set(domains) if self._acme_on() else set()
        if self.settings.api_host:
            domains[CONTROL] = [self.settings.api_host]
            auto |= {CONTROL} if self._acme_on() else set()
        return plan(domains, auto, self.store.list_certs(), time.time())

    def renew_due(self) -> list[str]:
        """One pass: drop what is no longer wanted, order what is due. Returns what it did."""
        todo = self._plan()
        done = []
        for cert in todo.drop:
            self._drop(cert)
            done.append(f"dropped the {cert.source} certificate of {cert.domain}")
        for owner, domain in todo.issue:
            try:
                self.obtain(owner, domain, lambda line: log.info("%s", line))
                done.append(f"certificate for {domain}")
            except CertFailed as exc:
                done.append(f"certificate for {domain} failed: {exc.message}")
        return done

    def wake(self) -> None:
        """Look for due orders now (a domain was added) rather than at the next tick."""
        self._wake.set()

    def run_forever(self, stop: threading.Event, interval: float = 5.0) -> None:
        self._wake.set()  # the first pass at once: a control plane host may need its certificate
        while not stop.is_set():
            self._wake.wait(interval)
            self._wake.clear()
            try:
                for action in self.renew_due():
                    log.warning("certs: %s", action)
            except Exception:  # the loop must outlive a passing ACME, DNS or nginx failure
                log.exception("certificate pass failed; trying again")

    def _order_lock(self, domain: str) -> threading.Lock:
        with self._orders_lock:
            return self._orders.setdefault(domain, threading.Lock())

    def _event(self, owner: str, message: str) -> None:
        if owner == CONTROL:
            log.warning("control plane: %s", message)
        else:
            self.events.write(owner, "certs", message)


def _day(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
