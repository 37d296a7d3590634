"""The self-check before an ACME order: fetch a path at a domain the way the ACME server will
(its DNS, then plain HTTP to the address it names), so that a domain that points elsewhere is
reported clearly instead of failing an order and spending a rate limit."""
from __future__ import annotations

import http.client
import socket

import dns.exception
import dns.resolver


class SelfCheck:
    def __init__(self, resolver: str = "") -> None:
        self.resolver = resolver  # "host:port" of a DNS server; "" uses the system's

    def addresses(self, domain: str) -> list[str]:
        if not self.resolver:
            try:
                infos = socket.getaddrinfo(domain, None, type=socket.SOCK_STREAM)
            except socket.gaierror:
                return []
            return list(dict.fromkeys(info[4][0] for info in infos))
        host, _, port = self.resolver.rpartition(":")
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers, resolver.port, resolver.lifetime = [host], int(port), 5.0
        found = []
        for kind in ("A", "AAAA"):
            try:
                found += [r.to_text() for r in resolver.resolve(domain, kind)]
            except dns.exception.DNSException:
                continue
        return found

    def fetch(self, domain: str, port: int, path: str, timeout: float = 10.0) -> tuple[str, str]:
        """(where, what): the address asked and its answer ("200 body"), or why nothing
        answered."""
        addresses = self.addresses(domain)
        if not addresses:
            return "", "it does not resolve"
        where = f"[{addresses[0]}]:{port}" if ":" in addresses[0] else f"{addresses[0]}:{port}"
        conn = http.client.HTTPConnection(addresses[0], port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"Host": domain, "User-Agent": "paas-self-check"})
            resp = conn.getresponse()
            return where, f"{resp.status} {resp.read(200).decode(errors='replace').strip()}"
        except ConnectionRefusedError:
            return where, "connection refused"
        except (OSError, http.client.HTTPException) as exc:
            return where, f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()
