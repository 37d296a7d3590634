"""Request figures as data: nginx's JSON access-log lines → per-minute rows with counts by status
class and fixed-bucket latency histograms → percentiles. Pure functions, no I/O.

Percentiles come from the histograms, never from every request: a minute row has the same size
whatever its traffic. A percentile is reported as the upper bound of the bucket it falls in (so
"p99 ≤ 600 ms" is always true), capped by the slowest request seen that minute.
"""
from __future__ import annotations

import json
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Iterable

# Upper bounds in seconds; the last bucket takes everything slower.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.4, 0.6, 1.0, 1.5, 2.5, 4.0,
           6.0, 10.0, 30.0, float("inf"))
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")
RETENTION = 24 * 3600  # seconds of per-minute rows kept
LOG_SUFFIX = ".access.json"


def access_log_name(app: str) -> str:
    """The file name of an app's JSON access log in the router's log directory."""
    return f"{app}{LOG_SUFFIX}"


def empty_hist() -> list[int]:
    return [0] * len(BUCKETS)


def bucket_of(seconds: float) -> int:
    return bisect_left(BUCKETS, seconds)  # the first bound >= seconds


@dataclass
class MinuteRow:
    """One app's requests in one minute (its start, in seconds since the epoch)."""
    requests: int = 0
    status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUS_CLASSES, 0))
    bytes: int = 0
    total: list[int] = field(default_factory=empty_hist)  # $request_time
    upstream: list[int] = field(default_factory=empty_hist)  # $upstream_response_time
    total_max: float = 0.0
    upstream_max: float = 0.0

    def add(self, other: "MinuteRow") -> "MinuteRow":
        return MinuteRow(
            requests=self.requests + other.requests,
            status={k: self.status[k] + other.status[k] for k in STATUS_CLASSES},
            bytes=self.bytes + other.bytes,
            total=[a + b for a, b in zip(self.total, other.total)],
            upstream=[a + b for a, b in zip(self.upstream, other.upstream)],
            total_max=max(self.total_max, other.total_max),
            upstream_max=max(self.upstream_max, other.upstream_max),
        )


@dataclass(frozen=True)
class Request:
    at: float
    status: int
    total: float
    upstream: float | None  # None: nginx answered itself (no upstream)
    bytes: int


FIELDS = (b"t", b"s", b"rt", b"ut")  # the log_format's keys, in its order (nginx.conf.j2)
OLD_FIELDS = (b"t", b"s", b"rt", b"ut", b"b")  # before 2026-12: $msec and $bytes_sent too


def parse_line(line: bytes) -> Request | None:
    """One line of the `paas_metrics` log_format (or of its older form, still in logs written
    before an upgrade), or None when it is not one (skipped)."""
    parts = line.split(b'"')
    try:
        # The format's exact shape, read without a JSON parser (the collector's main cost);
        # anything else goes through one.
        if len(parts) == 17 and parts[1:14:4] == list(FIELDS):
            t, s, rt, ut, b = parts[3], parts[7], parts[11], parts[15], b"0"
        elif len(parts) == 21 and parts[1:18:4] == list(OLD_FIELDS):
            t, s, rt, ut, b = (parts[i] for i in (3, 7, 11, 15, 19))
        else:
            data = json.loads(line)
            t, s, rt, ut = (str(data[k.decode()]).encode() for k in FIELDS)
            b = str(data.get("b", 0)).encode()
        upstream = (None if ut == b"-" else float(ut)) if b"," not in ut and b":" not in ut \
            else upstream_seconds(ut.decode())
        return Request(at=log_time(t), status=int(s), total=float(rt), upstream=upstream,
                       bytes=int(b))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def log_time(text: bytes) -> float:
    """Seconds since the epoch of a line's time: nginx's `$time_iso8601`
    (2026-12-03T10:27:41+00:00, whole seconds are enough for minute rows) or, in older lines,
    `$msec`. The minute's start is parsed once and kept (a busy log repeats it thousands of
    times)."""
    if len(text) == 25 and text[10:11] == b"T" and text[16:17] == b":":
        return _minute_start(text[:16] + text[19:]) + int(text[17:19])
    return float(text)


@lru_cache(maxsize=256)
def _minute_start(minute_and_zone: bytes) -> int:
    """'2026-12-03T10:27+00:00' → the epoch of that minute's start."""
    text = minute_and_zone.decode("ascii")
    return int(datetime.fromisoformat(f"{text[:16]}:00{text[16:]}").timestamp())


def upstream_seconds(text: str) -> float | None:
    """nginx lists one time per upstream tried ("0.010, 0.020", ":" between upstream groups);
    the request waited for all of them. "-" means none answered."""
    times = [float(t) for t in text.replace(":", ",").split(",") if t.strip() not in ("", "-")]
    return sum(times) if times else None


def minute_of(at: float) -> int:
    return int(at // 60) * 60


def status_class(status: int) -> str | None:
    return f"{status // 100}xx" if 100 <= status <= 599 else None


def aggregate(lines: Iterable[bytes]) -> dict[int, MinuteRow]:
    """Per-minute rows of complete log lines; lines that do not parse are skipped."""
    rows: dict[int, MinuteRow] = {}
    for line in lines:
        req = parse_line(line)
        if req is None:
            continue
        row = rows.setdefault(minute_of(req.at), MinuteRow())
        row.requests += 1
        cls = status_class(req.status)
        if cls:
            row.status[cls] += 1
        row.bytes += req.bytes
        row.total[bucket_of(req.total)] += 1
        row.total_max = max(row.total_max, req.total)
        if req.upstream is not None:
            row.upstream[bucket_of(req.upstream)] += 1
            row.upstream_max = max(row.upstream_max, req.upstream)
    return rows


def complete_lines(buffer: bytes) -> tuple[list[bytes], int]:
    """The complete lines at the start of `buffer` and how many bytes they take: a line split
    across reads waits for its end at the next read."""
    end = buffer.rfind(b"\n")
    if end < 0:
        return [], 0
    return [l for l in buffer[:end].split(b"\n") if l.strip()], end + 1


def percentile(hist: list[int], q: float, seen_max: float = float("inf")) -> float | None:
    """The upper bound of the bucket holding the q-quantile (0 < q ≤ 1), at most `seen_max`;
    None for an empty histogram."""
    total = sum(hist)
    if total == 0:
        return None
    rank = q * total
    running = 0
    for i, count in enumerate(hist):
        running += count
        if running >= rank:
            return min(BUCKETS[i], seen_max)
    return seen_max


def encode_hist(hist: list[int]) -> str:
    """Compact text for storage: counts joined by commas, trailing zeros dropped."""
    end = len(hist)
    while end and hist[end - 1] == 0:
        end -= 1
    return ",".join(str(c) for c in hist[:end])


def decode_hist(text: str) -> list[int]:
    counts = [int(c) for c in text.split(",")] if text else []
    return (counts + empty_hist())[: len(BUCKETS)]
