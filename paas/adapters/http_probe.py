"""HTTP probing of a container's published port on the loopback, for health checks."""
from __future__ import annotations

import http.client


class HttpProbe:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host

    def http_status(self, port: int, path: str = "/", timeout: float = 2.0) -> int | None:
        """The status of a GET, or None when nothing answered an HTTP request."""
        conn = http.client.HTTPConnection(self.host, port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"User-Agent": "paas-healthcheck"})
            return conn.getresponse().status
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()
