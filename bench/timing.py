"""Small timing helpers shared by the benchmarks."""
from __future__ import annotations

import statistics
import time
import urllib.request


def wait_for_body(url: str, text: str, host: str | None = None, timeout: float = 120,
                  interval: float = 0.01) -> float:
    """Seconds until a GET of url answers 200 with `text` in the body."""
    started = time.monotonic()
    deadline = started + timeout
    req = urllib.request.Request(url, headers={"Host": host} if host else {})
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(req, timeout=2) as resp:
                if resp.status == 200 and text in resp.read().decode():
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(interval)
    raise TimeoutError(f"{url} never answered with {text!r}")


def median(values: list[float]) -> float:
    return statistics.median(values)
