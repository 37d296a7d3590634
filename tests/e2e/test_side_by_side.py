"""Two platforms with their own PAAS_HOME and ports on one Docker daemon don't touch each other."""
from __future__ import annotations

import subprocess

from tests.support import copy_app, remove_docker_objects, start_platform, stop_platform


def docker_ids(instance: str) -> set[str]:
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=paas.instance={instance}"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_two_platforms_side_by_side(tmp_path):
    one = start_platform(tmp_path, "one")
    two = start_platform(tmp_path, "two")
    try:
        for platform in (one, two):
            assert platform.paas("apps:create", "hello").returncode == 0
            repo = copy_app("flask-hello", tmp_path / f"app-{platform.instance}", platform.env)
            assert platform.paas("git:remote", "-a", "hello", cwd=repo).returncode == 0
            pushed = platform.git("push", "paas", "main", cwd=repo)
            assert pushed.returncode == 0, pushed.stderr
            platform.wait_for("hello", "hello from v1")
        kept = docker_ids(two.instance)
        assert kept and docker_ids(one.instance) and kept.isdisjoint(docker_ids(one.instance))

        assert one.paas("apps:destroy", "-a", "hello", "--confirm", "hello").returncode == 0
        assert docker_ids(one.instance) == set()
        assert one.get("hello")[0] == 404
        assert docker_ids(two.instance) == kept
        assert "hello from v1" in two.get("hello")[1]
    finally:
        stop_platform(one)
        stop_platform(two)
    assert docker_ids(one.instance) == docker_ids(two.instance) == set()
    remove_docker_objects(one.instance)
