"""The metrics API's document (issue 15): stored per-minute rows → dense per-minute series, one
value per minute from `since` to now (0 for a count with no traffic, None for a figure with
nothing to measure). Pure."""
from __future__ import annotations

from paas.domain.metrics import STATUS_CLASSES, MinuteRow, minute_of, percentile
from paas.domain.stats import ProcessMinute

QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
SINCE = {"5m": 300, "15m": 900, "1h": 3600, "6h": 6 * 3600, "24h": 24 * 3600}


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def build(app: str, *, since: int, now: float, requests: dict[int, MinuteRow],
          processes: list[ProcessMinute], markers: list[dict]) -> dict:
    """`markers`: [{"version", "at", "description"}] of the releases in the window."""
    minutes = list(range(minute_of(now - since) + 60, minute_of(now) + 60, 60))
    rows = [requests.get(m) for m in minutes]
    doc: dict = {
        "app": app, "since": since, "step": 60, "minutes": minutes,
        "requests": [r.requests if r else 0 for r in rows],
        "status": {c: [r.status[c] if r else 0 for r in rows] for c in STATUS_CLASSES},
        "latency_ms": {
            kind: {name: [ms(percentile(getattr(r, kind), q, getattr(r, f"{kind}_max")))
                          if r else None for r in rows] for name, q in QUANTILES.items()}
            for kind in ("total", "upstream")},
        "processes": {},
        "releases": [m for m in markers if minutes and m["at"] >= minutes[0]],
    }
    by_type: dict[str, dict[int, ProcessMinute]] = {}
    for p in processes:
        by_type.setdefault(p.process, {})[p.minute] = p
    for process, found in sorted(by_type.items()):
        got = [found.get(m) for m in minutes]
        doc["processes"][process] = {
            "cpu_percent": [round(p.cpu_sum / p.samples, 1) if p and p.samples else None
                            for p in got],
            # A minute with only a restart or an OOM kill has no memory sample: None, not 0.
            "memory_bytes": [p.mem_max if p and p.mem_max else None for p in got],
            "memory_limit_bytes": [p.mem_limit if p and p.mem_limit else None for p in got],
            "restarts": [p.restarts if p else 0 for p in got],
            "oom_kills": [p.oom_kills if p else 0 for p in got],
        }
    return doc


def rates(totals: tuple[int, int] | None, window: int) -> dict:
    """Requests per minute and the share of 5xx over the last `window` seconds."""
    count, errors = totals or (0, 0)
    return {"requests_per_minute": round(count * 60 / window, 1),
            "error_rate": round(errors / count, 4) if count else 0.0}
