"""`paas services:connect` through the real flow: psql and redis-cli in a one-off container on
the service's own network read a piped script; nothing is published on the host, and the
one-off container is gone afterwards."""
from __future__ import annotations

import subprocess

import docker

from tests.e2e.test_data import ok
from tests.support import PAAS


def connect(platform, name, script):
    return subprocess.run([PAAS, "services:connect", name], input=script, env=platform.env,
                          capture_output=True, text=True, timeout=120)


def test_connect_pipes_sql_and_redis_commands_inside_the_services_network(platform):
    ok(platform.paas("services:create", "postgres", "conndb"))
    ok(platform.paas("services:create", "redis", "conncache"))
    got = connect(platform, "conndb", "SELECT 40 + 2 AS answer;\nSELECT ssl FROM pg_stat_ssl "
                                      "WHERE pid = pg_backend_pid();\n")
    assert got.returncode == 0, got.stderr
    assert "answer" in got.stdout and "42" in got.stdout
    assert " t\n" in got.stdout  # the connection is TLS, as an app's is
    failed = connect(platform, "conndb", "SELECT * FROM missing_table;\n")
    assert failed.returncode != 0 and "missing_table" in failed.stdout + failed.stderr
    assert connect(platform, "conncache", "SET k 7\nINCR k\n").stdout.split() == ["OK", "8"]
    client = docker.from_env()
    left = client.containers.list(all=True, filters={
        "label": [f"paas.instance={platform.instance}", "paas.role=connect"]})
    assert left == []
    server = client.containers.get(f"paas-{platform.instance}-db-conndb")
    assert not any(server.attrs["NetworkSettings"]["Ports"].values())


def test_a_server_killed_with_sigkill_comes_back_by_itself_with_its_data(platform):
    import os
    import signal
    import time

    ok(platform.paas("services:create", "postgres", "killdb"))
    made = connect(platform, "killdb", "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7);\n")
    assert made.returncode == 0, made.stdout + made.stderr
    client = docker.from_env()
    server = client.containers.get(f"paas-{platform.instance}-db-killdb")
    init = server.attrs["State"]["Pid"]  # docker-init; the server is its child
    children = open(f"/proc/{init}/task/{init}/children").read().split()
    postmaster = int(children[0])
    assert open(f"/proc/{postmaster}/comm").read().strip() == "postgres"
    started = server.attrs["State"]["StartedAt"]
    os.kill(postmaster, signal.SIGKILL)
    deadline = time.monotonic() + 60
    got = None
    while time.monotonic() < deadline:
        server.reload()
        if server.attrs["State"]["StartedAt"] != started and server.status == "running":
            got = connect(platform, "killdb", "SELECT n FROM kept;\n")
            if got.returncode == 0:
                break
        time.sleep(0.5)
    assert got is not None and got.returncode == 0, got and got.stdout + got.stderr
    assert " 7\n" in got.stdout
    assert server.attrs["RestartCount"] >= 1
