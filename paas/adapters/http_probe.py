"""HTTP probing of a container's published port on the loopback, for health checks."""
from __future__ import annotations

import http.client
import socket


class HttpProbe:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host

    def http_get(self, port: int, path: str = "/", timeout: float = 2.0) -> tuple[int, str] | None:
        """Status and (start of the) body of a GET, or None when nothing answered HTTP."""
        conn = http.client.HTTPConnection(self.host, port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"User-Agent": "paas-healthcheck"})
            resp = conn.getresponse()
            return resp.status, resp.read(65536).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    def connects(self, port: int, timeout: float = 0.5) -> bool:
        """Whether something accepts a TCP connection on the port (no request is sent)."""
        try:
            with socket.create_connection((self.host, port), timeout=timeout):
                return True
        except OSError:
            return False
