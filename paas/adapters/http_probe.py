"""HTTP probing of a container at its address on its app network, for health checks."""
from __future__ import annotations

import http.client
import socket


class HttpProbe:
    def http_get(self, address: str, path: str = "/", timeout: float = 2.0) -> tuple[int, str] | None:
        """Status and (start of the) body of a GET to `address` (host:port), or None when
        nothing answered HTTP."""
        host, _, port = address.rpartition(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        try:
            conn.request("GET", path, headers={"User-Agent": "paas-healthcheck"})
            resp = conn.getresponse()
            return resp.status, resp.read(65536).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    def connects(self, address: str, timeout: float = 0.5) -> bool:
        """Whether something accepts a TCP connection at `address` (host:port); no request
        is sent."""
        host, _, port = address.rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
                return True
        except OSError:
            return False
