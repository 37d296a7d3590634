"""Issue 15: access-log lines → per-minute rows → percentiles, as pure functions; the log reader
over real files (split lines, rotation, restarts) and the store over a real SQLite file."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone

import pytest

from paas.adapters.access_logs import AccessLogs
from paas.adapters.metrics_store import MetricsStore
from paas.domain import metric_series
from paas.domain.metrics import (BUCKETS, aggregate, bucket_of, complete_lines,
                                 decode_hist, empty_hist, encode_hist, log_time, parse_line,
                                 percentile,
                                 upstream_seconds)
from paas.render.nginx import render_app, render_main

T0 = 1_764_000_000.0 - (1_764_000_000 % 60)  # a minute boundary


def line(at: float, status: int = 200, rt: float = 0.004, ut: str = "0.003") -> bytes:
    # Exactly what nginx writes with the paas_metrics log_format (every value quoted).
    t = datetime.fromtimestamp(int(at), timezone.utc).isoformat()
    return (f'{{"t":"{t}","s":"{status}","rt":"{rt:.3f}","ut":"{ut}"}}').encode()


def old_line(at: float, status: int = 200, rt: float = 0.004, ut: str = "0.003",
             b: int = 120) -> bytes:
    # The format before 2026-12 ($msec, escape=json, $bytes_sent): still in logs at an upgrade.
    return json.dumps({"t": f"{at:.3f}", "s": str(status), "rt": f"{rt:.3f}", "ut": ut,
                       "b": str(b)}, separators=(",", ":")).encode()


def test_a_line_parses_into_its_numbers():
    assert line(T0 + 1.5) == (b'{"t":"2025-11-24T16:00:01+00:00","s":"200","rt":"0.004",'
                              b'"ut":"0.003"}')
    req = parse_line(line(T0 + 1.5, 503, 0.25, "0.1, 0.12"))
    assert (req.at, req.status, req.total, req.bytes) == (T0 + 1, 503, 0.25, 0)
    assert req.upstream == pytest.approx(0.22)


def test_lines_of_the_older_format_still_count():
    req = parse_line(old_line(T0 + 1.5, 503, 0.25, "0.1, 0.12", 77))
    assert (req.at, req.status, req.total, req.bytes) == (T0 + 1.5, 503, 0.25, 77)
    assert req.upstream == pytest.approx(0.22)
    rows = aggregate([old_line(T0 + 3), line(T0 + 4, 500)])
    assert rows[T0].requests == 2 and rows[T0].status["5xx"] == 1


@pytest.mark.parametrize("text, at", [
    (b"2025-11-24T16:00:01+00:00", T0 + 1), (b"2025-11-24T17:00:01+01:00", T0 + 1),
    (b"2025-11-24T10:30:59-05:30", T0 + 59), (b"1764000001.250", T0 + 1.25)])
def test_a_lines_time_in_any_zone_is_seconds_since_the_epoch(text, at):
    assert log_time(text) == at


@pytest.mark.parametrize("text", [b"2025-11-24T15:59:xx+00:00", b"2025-13-24T15:59:01+00:00",
                                  b"yesterday"])
def test_a_time_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        log_time(text)


@pytest.mark.parametrize("text", [b"", b"not json", b'{"t":"1"}', b'{"t":"x","s":"200","rt":"0",'
                                  b'"ut":"-","b":"0"}', b"[1,2]"])
def test_lines_that_are_not_ours_are_skipped(text):
    assert parse_line(text) is None


def test_upstream_time_sums_every_upstream_tried_and_dash_is_none():
    assert upstream_seconds("-") is None
    assert upstream_seconds("0.5 : 0.25") == 0.75
    assert upstream_seconds("0.010, -") == 0.01


def test_minutes_count_requests_by_status_class_and_bucket():
    rows = aggregate([line(T0 + 1), line(T0 + 59.999, 500, 0.7), line(T0 + 60, 404),
                      line(T0 + 61, 302, ut="-"), b"garbage"])
    assert sorted(rows) == [T0, T0 + 60]
    first, second = rows[T0], rows[T0 + 60]
    assert first.requests == 2 and first.status["2xx"] == 1 and first.status["5xx"] == 1
    assert first.total[bucket_of(0.7)] == 1 and first.total_max == 0.7
    assert second.status == {"1xx": 0, "2xx": 0, "3xx": 1, "4xx": 1, "5xx": 0}
    assert sum(second.upstream) == 1  # the 302 nginx answered itself has no upstream time


def test_percentiles_are_bucket_upper_bounds_capped_by_the_slowest_request():
    hist = empty_hist()
    hist[bucket_of(0.004)] = 98
    hist[bucket_of(0.55)] = 2
    assert percentile(hist, 0.5) == 0.005
    assert percentile(hist, 0.98) == 0.005
    assert percentile(hist, 0.99) == 0.6
    assert percentile(hist, 0.99, seen_max=0.55) == 0.55
    assert percentile(empty_hist(), 0.5) is None
    assert percentile([0] * (len(BUCKETS) - 1) + [3], 0.5, seen_max=42.0) == 42.0


def test_rows_add_up_and_histograms_round_trip_through_storage_text():
    a, b = aggregate([line(T0)])[T0], aggregate([line(T0 + 2, 500, 2.0)])[T0]
    total = a.add(b)
    assert total.requests == 2 and total.status["5xx"] == 1 and total.total_max == 2.0
    assert decode_hist(encode_hist(total.total)) == total.total
    assert encode_hist(empty_hist()) == "" and decode_hist("") == empty_hist()


def test_a_line_split_across_reads_waits_for_its_end():
    whole = line(T0) + b"\n" + line(T0 + 1)
    lines, used = complete_lines(whole[:-5])
    assert lines == [line(T0)] and used == len(line(T0)) + 1
    assert complete_lines(b"half a line") == ([], 0)


def test_nginx_files_carry_the_json_format_and_a_buffered_per_app_log(tmp_path):
    main = render_main(prefix=tmp_path, http_port=8080)
    assert ("    log_format paas_metrics escape=none '{\"t\":\"$time_iso8601\",\"s\":\"$status\",'\n"
            "                                        '\"rt\":\"$request_time\","
            "\"ut\":\"$upstream_response_time\"}';\n") in main
    app = render_app(app="shop", server_names=["shop.localhost"], upstreams=["127.0.0.1:5000"],
                     http_port=8080, access_log="/var/paas/logs/shop.access.json")
    assert ("    access_log /var/paas/logs/shop.access.json paas_metrics buffer=32k flush=5s;\n"
            "    location / {\n") in app
    assert "access_log" not in render_app(app="shop", server_names=["shop.localhost"],
                                          upstreams=[], http_port=8080)


# the reader, on real files
@pytest.fixture
def logs(tmp_path):
    reopened = []
    reader = AccessLogs(tmp_path, reopen=lambda: reopened.append(1), rotate_at=400, settle=0)
    reader.reopened = reopened
    return reader


def append(path, *lines, end=b"\n"):
    with open(path, "ab") as fh:
        fh.write(b"\n".join(lines) + end)


def test_the_reader_returns_each_complete_line_once(logs):
    path = logs.path("shop")
    assert logs.read("shop", None).lines == []
    append(path, line(T0), line(T0 + 1)[:10], end=b"")
    first = logs.read("shop", None)
    assert first.lines == [line(T0)]
    with open(path, "ab") as fh:
        fh.write(line(T0 + 1)[10:] + b"\n")
    second = logs.read("shop", first.position)
    assert second.lines == [line(T0 + 1)]
    assert logs.read("shop", second.position).lines == []


def test_rotation_finishes_the_old_file_then_reads_the_new_one(logs):
    path = logs.path("shop")
    append(path, *(line(T0 + i) for i in range(8)))  # > 400 bytes: rotated at tidy
    chunk = logs.read("shop", None)
    assert len(chunk.lines) == 8
    logs.tidy("shop", chunk.position)
    assert logs.reopened == [1] and not path.exists()
    rotated = path.with_name(path.name + ".1")
    append(rotated, line(T0 + 8))  # nginx flushing its buffer into the old file
    append(path, line(T0 + 9))  # after the reopen
    after = logs.read("shop", chunk.position)
    assert after.lines == [line(T0 + 8), line(T0 + 9)]
    logs.tidy("shop", after.position)
    assert not rotated.exists()
    assert logs.read("shop", after.position).lines == []


def test_a_truncated_log_is_read_from_its_start(logs):
    path = logs.path("shop")
    append(path, line(T0), line(T0 + 1))
    position = logs.read("shop", None).position
    with open(path, "wb") as fh:
        fh.write(line(T0 + 2) + b"\n")
    assert logs.read("shop", position).lines == [line(T0 + 2)]


def test_the_reader_does_not_follow_a_link(logs, tmp_path):
    secret = tmp_path / "secret"
    secret.write_bytes(line(T0) + b"\n")
    os.symlink(secret, logs.path("shop"))
    assert logs.read("shop", None).lines == []


# the store and the collector
class Apps:
    def __init__(self, *names):
        self.names = names

    def list_apps(self):
        return [type("App", (), {"name": n})() for n in self.names]

    def list_releases(self, app):
        return []


@pytest.fixture
def store(tmp_path):
    return MetricsStore(tmp_path / "paas.db")


def collector(store, logs, now, *apps):
    from paas.services.metrics import Metrics
    from paas.settings import Settings
    return Metrics(Settings(home=logs.directory), Apps(*apps), store, logs, clock=lambda: now)


def test_rows_and_position_commit_together_so_a_restart_counts_each_line_once(store, logs):
    append(logs.path("shop"), *(line(T0 + i, 500 if i % 4 == 0 else 200) for i in range(20)))
    collector(store, logs, T0 + 30, "shop").collect_once()
    # a restart: a new collector over the same state and files
    append(logs.path("shop"), line(T0 + 31))
    collector(store, logs, T0 + 40, "shop").collect_once()
    collector(store, logs, T0 + 50, "shop").collect_once()
    row = store.requests("shop", 0)[T0]
    assert row.requests == 21 and row.status["5xx"] == 5
    assert store.request_totals(0) == {"shop": (21, 5)}


def test_a_failed_store_write_keeps_the_old_position(store, logs, monkeypatch):
    append(logs.path("shop"), line(T0))
    metrics = collector(store, logs, T0 + 30, "shop")
    monkeypatch.setattr(store, "add_requests", lambda *a: (_ for _ in ()).throw(OSError("full")))
    with pytest.raises(OSError):
        metrics.collect_requests("shop")
    monkeypatch.undo()
    metrics.collect_requests("shop")
    assert store.requests("shop", 0)[T0].requests == 1


def test_minutes_older_than_a_day_and_rows_of_destroyed_apps_are_dropped(store, logs):
    append(logs.path("shop"), line(T0), line(T0 + 86_400))
    append(logs.path("gone"), line(T0 + 86_400))
    collector(store, logs, T0 + 86_400, "shop", "gone").collect_once()
    collector(store, logs, T0 + 86_400 + 61, "shop").collect_once()
    assert list(store.requests("shop", 0)) == [T0 + 86_400]
    assert store.request_totals(0) == {"shop": (1, 0)}
    # "gone" created again under the same name starts from nothing
    assert not logs.path("gone").exists() and logs.path("shop").exists()
    collector(store, logs, T0 + 86_400 + 70, "shop", "gone").collect_once()
    assert store.request_totals(0) == {"shop": (1, 0)}


def test_an_app_answering_odd_status_codes_counts_as_requests_of_no_class():
    row = aggregate([line(T0, 999), line(T0, 42), line(T0, 204)])[T0]
    assert row.requests == 3 and sum(row.status.values()) == 1


def test_a_day_of_busy_minutes_stays_small(store):
    row = aggregate([line(T0 + i % 60, 200 + 100 * (i % 4), rt=i / 100) for i in range(600)])[T0]
    store.add_requests("shop", {T0 + 60 * m: row for m in range(1440)}, (1, 0))
    per_day = store.size_bytes("shop")
    assert per_day < 300_000, per_day  # the file grows ~140 kB per app per day (README)


def test_the_series_is_dense_per_minute_with_percentiles_in_ms(store, logs):
    append(logs.path("shop"), line(T0 + 5, rt=0.004), line(T0 + 6, 500, rt=0.5, ut="0.49"))
    metrics = collector(store, logs, T0 + 130, "shop")
    metrics.collect_once()
    doc = metrics.series("shop", "5m")
    assert doc["minutes"] == [T0 - 120, T0 - 60, T0, T0 + 60, T0 + 120]
    assert doc["requests"] == [0, 0, 2, 0, 0]
    assert doc["status"]["5xx"] == [0, 0, 1, 0, 0]
    assert doc["latency_ms"]["total"]["p99"] == [None, None, 500.0, None, None]
    assert doc["latency_ms"]["total"]["p50"][2] == 5.0
    assert metrics.recent_rates() == {"shop": {"requests_per_minute": 0.4, "error_rate": 0.5}}


def test_since_takes_only_the_known_windows(store, logs):
    from paas.errors import InvalidInput
    with pytest.raises(InvalidInput, match="since must be one of 5m, 15m, 1h, 6h, 24h"):
        collector(store, logs, T0, "shop").series("shop", "2d")
    assert metric_series.SINCE["24h"] == 86_400



def test_a_renamed_log_is_read_until_old_workers_are_done_with_it(tmp_path):
    logs = AccessLogs(tmp_path, reopen=lambda: None, rotate_at=100, settle=60)
    append(logs.path("shop"), line(T0), line(T0 + 1))
    chunk = logs.read("shop", None)
    logs.tidy("shop", chunk.position)
    append(logs.path("shop"), line(T0 + 3))
    rotated = logs.path("shop").with_name(logs.path("shop").name + ".1")
    append(rotated, line(T0 + 2))  # an old worker, exiting, flushes its buffer
    later = logs.read("shop", chunk.position)
    assert later.lines == [line(T0 + 2)]  # the new file waits: the old one was written just now
    os.utime(rotated, (T0, T0))
    assert logs.read("shop", later.position).lines == [line(T0 + 3)]


def test_container_figures_from_docker_stats_documents():
    from paas.domain.stats import Sample, cpu_percent, memory, process_minutes
    doc = {"cpu_stats": {"cpu_usage": {"total_usage": 3_000_000}, "system_cpu_usage": 20_000_000,
                         "online_cpus": 2},
           "precpu_stats": {"cpu_usage": {"total_usage": 1_000_000},
                            "system_cpu_usage": 10_000_000},
           "memory_stats": {"usage": 50 << 20, "limit": 128 << 20,
                            "stats": {"inactive_file": 10 << 20}}}
    assert cpu_percent(doc) == 40.0  # 2 ms of 10 ms system time over 2 cores
    assert cpu_percent({"cpu_stats": {}, "precpu_stats": {}}) is None  # a stream's first
    assert memory(doc) == (40 << 20, 128 << 20)
    samples = [Sample("shop", "web", 10.0, 40.0, 40 << 20, 128 << 20),
               Sample("shop", "web", 10.0, 20.0, 30 << 20, 128 << 20),  # web.2, same instant
               Sample("shop", "web", 20.0, 10.0, 80 << 20, 128 << 20),
               Sample("shop", "worker", 10.0, None, 5 << 20, 64 << 20)]
    rows = process_minutes(samples, {("shop", "web"): 1}, {("shop", "worker"): 2}, minute=T0)
    web, worker = rows
    assert (web.cpu_sum, web.samples, web.mem_max, web.mem_limit, web.restarts) == \
        (70.0, 2, 80 << 20, 256 << 20, 1)
    assert (worker.samples, worker.mem_max, worker.oom_kills) == (0, 5 << 20, 2)


def test_restarts_count_only_a_start_after_a_death_and_ooms_count_each():
    from paas.adapters.docker_stats import DockerStats
    stats = DockerStats(type("Client", (), {"api": None})(), "t1")
    stats._events = type("Alive", (), {"is_alive": lambda self: True})()  # no stream here
    attrs = {"paas.app": "shop", "paas.process": "web"}
    for cid, action in (("a", "start"), ("a", "oom"), ("a", "die"), ("a", "start"),
                        ("b", "die"), ("b", "destroy"), ("b", "start")):
        stats._count({"id": cid, "Action": action, "Actor": {"Attributes": attrs}})
    assert stats.events() == ({("shop", "web"): 1}, {("shop", "web"): 1})
    assert stats.events() == ({}, {})


def test_figures_from_several_hosts_add_up():
    from paas.domain.stats import Sample
    from paas.services.metrics import CombinedStats

    class Node:
        def __init__(self, sample, restarts):
            self.sample, self.restarts = sample, restarts

        def samples(self):
            return [self.sample]

        def events(self):
            return self.restarts, {}

    a = Sample("shop", "web", 1.0, 5.0, 10, 100)
    b = Sample("shop", "web", 1.0, 7.0, 20, 100)
    both = CombinedStats([Node(a, {("shop", "web"): 1}), Node(b, {("shop", "web"): 2})])
    assert both.samples() == [a, b]
    assert both.events() == ({("shop", "web"): 3}, {})


def test_resumed_events_count_only_after_the_stored_position():
    from paas.adapters.docker_stats import DockerStats
    stats = DockerStats(type("Client", (), {"api": None})(), "t1")
    stats._events = type("Alive", (), {"is_alive": lambda self: True})()  # no stream here
    stats.resume(1_000)
    attrs = {"paas.app": "shop", "paas.process": "web"}
    # Replayed (at or before 1000): they set the state but were counted before the restart.
    for cid, action, at in (("a", "die", 900), ("b", "oom", 950), ("b", "die", 960),
                            ("b", "start", 1_000),
                            ("a", "start", 1_010), ("c", "oom", 1_020)):
        stats._count({"id": cid, "Action": action, "timeNano": at, "Actor": {"Attributes": attrs}})
    assert stats.position() == 1_000  # nothing handed out yet
    assert stats.events() == ({("shop", "web"): 1}, {("shop", "web"): 1})
    assert stats.position() == 1_020


class Resumable:
    """A stats source with an event stream, as the Docker engine serves it: the first
    `happened` events of `all` have happened; a stream resumed at a position sends those after
    it."""

    def __init__(self, events, happened):
        self.all, self.happened, self.pos = events, happened, None

    def resume(self, position):
        self.pos = position

    def samples(self):
        return []

    def events(self):
        new = [e for e in self.all[:self.happened] if self.pos is None or e[0] > self.pos]
        self.pos = new[-1][0] if new else self.pos
        return {}, ({("shop", "web"): len(new)} if new else {})

    def position(self):
        return self.pos


def test_a_restart_of_the_collector_neither_loses_nor_double_counts_an_event(store, logs):
    stream = [(T0 + i, "oom") for i in range(1, 6)]
    first = collector(store, logs, T0 + 30, "shop")
    first.stats = source = Resumable(stream, happened=2)
    first.record_processes()
    source.happened = 3
    source.events()  # read, not yet stored: the process stops here
    second = collector(store, logs, T0 + 40, "shop")  # a new process over the same state
    second.stats = Resumable(stream, happened=5)
    second.record_processes()
    second.record_processes()
    assert sum(p.oom_kills for p in store.processes("shop", 0)) == 5
    assert store.cursor("docker_events") == T0 + 5


def test_totals_of_named_apps_are_those_of_the_whole_table(store):
    row = aggregate([line(T0, 200), line(T0, 500), line(T0, 503)])[T0]
    apps = [f"app{i}" for i in range(600)]  # more than one chunk of bound values
    store.add_requests_batch([(a, {T0 - 60: row, T0: row}, (1, 0)) for a in apps])
    assert store.request_totals(T0, apps) == store.request_totals(T0) == \
        {a: (3, 2) for a in apps}
    assert store.request_totals(T0 - 60, ["app7", "nope"]) == {"app7": (6, 4)}


def test_a_day_of_one_process_types_minutes_stays_small(store):
    from paas.domain.stats import ProcessMinute
    before = store.path.stat().st_size
    store.add_processes([ProcessMinute("shop", T0 + 60 * m, "web", 1234.5, 6, 123 << 20,
                                       512 << 20, 1, 0) for m in range(1440)])
    grown = store.path.stat().st_size - before
    assert 0 < grown < 100_000, grown  # about 60 kB per process type per day (README)
