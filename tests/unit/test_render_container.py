from paas.domain.models import Release
from paas.render.container import build_spec, image_ref, launch_command, process_spec

RELEASE = Release(app="hello", version=3, image="paas/hello:p1-12", config={"GREETING": "hi"},
                  processes={"web": "gunicorn app:app --bind 0.0.0.0:$PORT", "worker": "python w.py"},
                  commit="a" * 40, description="Deploy aaaaaaa", status="pending",
                  created_by="admin", created_at=0.0)


def test_web_process_spec():
    assert process_spec(instance="p1", release=RELEASE, process="web", index=1, nonce="abc123") == {
        "image": "paas/hello:p1-12",
        "name": "paas-p1-hello-web.1-v3-abc123",
        "command": ["/bin/bash", "-c",
                    'for f in /app/.profile.d/*.sh; do [ -r "$f" ] && . "$f"; done; exec bash -c "$1"',
                    "paas-launch", "gunicorn app:app --bind 0.0.0.0:$PORT"],
        "environment": {"GREETING": "hi", "DYNO": "web.1", "PORT": "5000"},
        "labels": {"paas.instance": "p1", "paas.app": "hello", "paas.kind": "process",
                   "paas.release": "3", "paas.process": "web", "paas.index": "1"},
        "working_dir": "/app",
        "init": True,
        "detach": True,
        "log_config": {"type": "json-file", "config": {"max-size": "10m", "max-file": "3"}},
        "hostname": "hello-web-1",
        "user": "1000:1000",
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "network": "paas-p1-hello",
        "restart_policy": {"Name": "unless-stopped"},
    }  # no "ports": nothing of an app is published on the host; nginx goes to its address


def test_resources_become_docker_limits():
    spec = process_spec(instance="p1", release=RELEASE, process="web", index=1, nonce="n",
                        resources={"memory": "512m", "cpus": "0.5", "pids": "256"})
    assert (spec["mem_limit"], spec["memswap_limit"], spec["nano_cpus"], spec["pids_limit"]) == (
        "512m", "512m", 500_000_000, 256)


def test_worker_gets_no_port_and_release_config_is_not_mutated():
    spec = process_spec(instance="p1", release=RELEASE, process="worker", index=2, nonce="n")
    assert "ports" not in spec and "PORT" not in spec["environment"]
    assert spec["environment"] == {"GREETING": "hi", "DYNO": "worker.2"}
    assert RELEASE.config == {"GREETING": "hi"}


def test_build_spec_is_hardened_and_mounts_no_writable_host_directory():
    """Build containers run code from a push: not root, no capabilities, no privilege gain, a
    pids limit, a read-only root, a network of the build's own; what they write goes to volumes
    (read back through the Docker API), and the only host paths are read-only."""
    spec = build_spec(instance="p1", app="hello", build_id=12, image="paas/build-base:p1-abc",
                      buildpacks_dir="/srv/paas/buildpacks", ca_bundle="/etc/ssl/certs/ca.crt",
                      script="echo hi", network="paas-p1-build-12")
    assert spec["volumes"] == {
        "/srv/paas/buildpacks": {"bind": "/buildpacks", "mode": "ro"},
        "/etc/ssl/certs/ca.crt": {"bind": "/etc/ssl/certs/paas-ca.crt", "mode": "ro"},
    }
    assert spec["mounts"] == [
        {"Target": "/app", "Source": "", "Type": "volume", "ReadOnly": False},
        {"Target": "/env", "Source": "", "Type": "volume", "ReadOnly": False},
        {"Target": "/paas-results", "Source": "", "Type": "volume", "ReadOnly": False},
        {"Target": "/cache", "Source": "paas-p1-hello-build-cache", "Type": "volume",
         "ReadOnly": False, "VolumeOptions": {"Labels": {
             "paas.instance": "p1", "paas.app": "hello", "paas.kind": "build-cache"}}},
    ]
    assert spec["tmpfs"] == {"/tmp": "rw,nosuid,nodev,size=1g,mode=1777"}
    assert spec["user"] == "1000:1000" and spec["cap_drop"] == ["ALL"]
    assert spec["security_opt"] == ["no-new-privileges"]
    assert spec["pids_limit"] == 1024 and spec["read_only"] is True
    assert spec["network"] == "paas-p1-build-12"
    assert "privileged" not in spec and "cap_add" not in spec and "ports" not in spec
    assert spec["environment"] == {
        "STACK": "trixie", "HOME": "/app", "PYTHONUNBUFFERED": "1",
        "SSL_CERT_FILE": "/etc/ssl/certs/paas-ca.crt", "PIP_CERT": "/etc/ssl/certs/paas-ca.crt",
        "REQUESTS_CA_BUNDLE": "/etc/ssl/certs/paas-ca.crt",
        "NODE_EXTRA_CA_CERTS": "/etc/ssl/certs/paas-ca.crt",
    }
    assert spec["command"] == ["/bin/bash", "-c", "echo hi"]
    assert spec["labels"] == {"paas.instance": "p1", "paas.app": "hello", "paas.kind": "build",
                              "paas.build": "12"}
    assert spec["name"] == "paas-p1-hello-build-12" and spec["image"] == "paas/build-base:p1-abc"
    assert spec["mem_limit"] == spec["memswap_limit"] == "2g"


def test_build_spec_without_ca_bundle_sets_no_ca_variables():
    spec = build_spec(instance="p1", app="a", build_id=1, image="s", buildpacks_dir="/b",
                      ca_bundle="", script="x", network="n")
    assert "SSL_CERT_FILE" not in spec["environment"]
    assert all(v["bind"] != "/etc/ssl/certs/paas-ca.crt" for v in spec["volumes"].values())


def test_image_ref_keeps_instances_apart():
    assert image_ref("hello", "p1", 12) == ("paas/hello", "p1-12")


def test_launch_command_passes_the_procfile_command_as_an_argument_not_in_the_script():
    cmd = launch_command("echo $(whoami); rm -rf /tmp/x")
    assert cmd[-1] == "echo $(whoami); rm -rf /tmp/x" and cmd[2].endswith('exec bash -c "$1"')
