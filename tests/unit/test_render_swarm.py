import pytest

from paas.domain.address import Address, upstream
from paas.render.container import process_spec
from paas.render.swarm import memory_bytes, service_spec, spread_node
from tests.unit.test_render_container import RELEASE

LAUNCH = ["/bin/bash", "-c",
          'for f in /app/.profile.d/*.sh; do [ -r "$f" ] && . "$f"; done; exec bash -c "$1"',
          "paas-launch"]
LABELS = {"paas.instance": "p1", "paas.app": "hello", "paas.kind": "process",
          "paas.release": "3", "paas.process": "web", "paas.index": "1"}


def test_web_service_spec_publishes_in_host_mode_with_dns_round_robin():
    container = process_spec(instance="p1", release=RELEASE, process="web", index=1, nonce="abc123")
    container["image"] = "10.0.0.1:5000/paas/hello@sha256:" + "f" * 64
    assert service_spec(container, port=5000) == {
        "Name": "paas-p1-hello-web-1-v3-abc123",
        "Labels": LABELS,
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "10.0.0.1:5000/paas/hello@sha256:" + "f" * 64,
                "Env": ["DYNO=web.1", "GREETING=hi", "PORT=5000"],
                "Labels": LABELS,
                "User": "1000:1000",
                "Hostname": "hello-web-1",
                "Init": True,
                "CapabilityDrop": ["ALL"],
                "Privileges": {"NoNewPrivileges": True},
                "StopGracePeriod": 30_000_000_000,
                "Args": LAUNCH + ["gunicorn app:app --bind 0.0.0.0:$PORT"],
                "Dir": "/app",
            },
            "Resources": {},
            "RestartPolicy": {"Condition": "any", "Delay": 1_000_000_000},
            "Networks": [{"Target": "paas-p1-hello"}],
            "LogDriver": {"Name": "json-file", "Options": {"max-size": "10m", "max-file": "3"}},
        },
        "Mode": {"Replicated": {"Replicas": 1}},
        "EndpointSpec": {"Mode": "dnsrr", "Ports": [
            {"Protocol": "tcp", "TargetPort": 5000, "PublishMode": "host"}]},
    }


def test_worker_service_publishes_nothing_and_keeps_limits():
    container = process_spec(instance="p1", release=RELEASE, process="worker", index=2, nonce="n",
                             resources={"memory": "512m", "cpus": "0.5", "pids": "256"})
    spec = service_spec(container, port=None)
    assert spec["EndpointSpec"] == {"Mode": "dnsrr"}
    # Pids under Resources.Limits: Engine API 1.41 has no ContainerSpec.PidsLimit (it would
    # be dropped without a word, and a fork bomb would meet no limit).
    assert spec["TaskTemplate"]["Resources"] == {
        "Limits": {"MemoryBytes": 512 << 20, "NanoCPUs": 500_000_000, "Pids": 256}}
    assert "PidsLimit" not in spec["TaskTemplate"]["ContainerSpec"]
    assert "PORT=5000" not in spec["TaskTemplate"]["ContainerSpec"]["Env"]


def test_dockerfile_image_without_command_keeps_its_own():
    from paas.render.container import ImageFacts
    release = RELEASE.__class__(**{**RELEASE.__dict__, "processes": {"web": ""}})
    container = process_spec(instance="p1", release=release, process="web", index=1, nonce="n",
                             facts=ImageFacts(dockerfile=True, port=8000, user="app"))
    spec = service_spec(container, port=8000)["TaskTemplate"]["ContainerSpec"]
    assert "Args" not in spec and "Dir" not in spec and spec["User"] == "app"


@pytest.mark.parametrize("text,expected", [("512m", 512 << 20), ("1g", 1 << 30), ("1.5g", 3 << 29),
                                           ("2048", 2048), ("64MB", 64 << 20)])
def test_memory_bytes(text, expected):
    assert memory_bytes(text) == expected


def test_upstreams_are_loopback_ports_or_node_addresses():
    assert upstream(31000, "127.0.0.1") == "127.0.0.1:31000"
    assert upstream(Address("10.0.0.2", 30001), "127.0.0.1") == "10.0.0.2:30001"
    assert upstream(Address("fd00::2", 30001), "127.0.0.1") == "[fd00::2]:30001"


def test_a_slot_goes_to_the_eligible_node_holding_fewest_of_its_type():
    assert spread_node(["m", "w"], ["m"]) == "w"  # web.2 after web.1 on the manager
    assert spread_node(["m", "w"], ["w", "w", "m"]) == "m"
    assert spread_node(["m", "w"], []) == "m"  # a tie: the first
    assert spread_node(["m", "w"], ["x", "x"]) == "m"  # a drained node's tasks do not count
    assert spread_node(["m"], ["m"]) is None  # one node: Swarm picks, no constraint
    assert spread_node([], []) is None


def test_a_spread_slot_is_kept_off_the_nodes_labelled_to_avoid():
    container = process_spec(instance="p1", release=RELEASE, process="web", index=2, nonce="abc123")
    container["image"] = "img"
    spec = service_spec(container, port=5000, avoid="paas.avoid.x")
    assert spec["TaskTemplate"]["Placement"] == {"Constraints": ["node.labels.paas.avoid.x!=1"]}
    assert "Placement" not in service_spec(container, port=5000)["TaskTemplate"]


def test_a_buildpack_process_starts_under_setpriv_no_new_privs():
    """Docker 20.10 (Engine API 1.41) has no no-new-privileges for services: the command is
    started under setpriv (the stack's util-linux), and Privileges.NoNewPrivileges is sent for
    engines that know it."""
    container = process_spec(instance="p1", release=RELEASE, process="web", index=1, nonce="n")
    spec = service_spec(container, port=5000, wrap_nnp=True)["TaskTemplate"]["ContainerSpec"]
    assert spec["Args"] == ["/usr/bin/setpriv", "--no-new-privs", "--"] + LAUNCH + [
        "gunicorn app:app --bind 0.0.0.0:$PORT"]
    assert spec["Privileges"] == {"NoNewPrivileges": True}
    assert spec["CapabilityDrop"] == ["ALL"] and spec["User"] == "1000:1000"


def test_an_app_with_volumes_is_pinned_to_the_node_holding_them():
    release = RELEASE.__class__(**{**RELEASE.__dict__, "mounts": {"files": "/data", "db": "/var/db"}})
    container = process_spec(instance="p1", release=release, process="web", index=1, nonce="n")
    spec = service_spec(container, port=5000, pin="node1")
    assert spec["TaskTemplate"]["Placement"] == {"Constraints": ["node.id==node1"]}
    assert spec["TaskTemplate"]["ContainerSpec"]["Mounts"] == [
        {"Type": "volume", "Source": "paas-p1-hello-vol-db", "Target": "/var/db", "ReadOnly": False},
        {"Type": "volume", "Source": "paas-p1-hello-vol-files", "Target": "/data", "ReadOnly": False}]
    both = service_spec(container, port=5000, pin="node1", avoid="paas.avoid.x")
    assert both["TaskTemplate"]["Placement"] == {
        "Constraints": ["node.id==node1", "node.labels.paas.avoid.x!=1"]}
