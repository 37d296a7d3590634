"""Apps that bring a Dockerfile are built with docker build, run their image's CMD on its
EXPOSEd port, get opted-in config as build args, and rebuild from Docker's layer cache (issue 5)."""
from __future__ import annotations

from tests.support import commit_all, copy_app


def test_dockerfile_app_builds_runs_rebuilds_from_cache_and_fails_cleanly(platform, tmp_path):
    app = "boxed"
    assert platform.paas("apps:create", app).returncode == 0
    assert platform.paas("config:set", "-a", app, "GREETING=hi", "UNASKED=secret").returncode == 0
    repo = copy_app("dockerfile-app", tmp_path / app, platform.env)
    platform.paas("git:remote", "-a", app, cwd=repo)
    first = platform.push(repo)
    assert "-----> Dockerfile found: building it with docker build" in first.stderr
    assert "build args from config: GREETING" in first.stderr and "UNASKED" not in first.stderr
    platform.wait_for(app, "hi from a Dockerfile v1")

    server = repo / "server.py"
    server.write_text(server.read_text().replace('VERSION = "v1"', 'VERSION = "v2"'))
    commit_all(repo, platform.env, "v2")
    second = platform.push(repo)
    assert "Using cache" in second.stderr  # the RUN layer before the code changed
    platform.wait_for(app, "hi from a Dockerfile v2")
    run = platform.paas("run", "-a", app, "--", "id", "-u")
    assert run.returncode == 0 and run.stdout.strip() == "1000"  # root in the image, not in paas

    dockerfile = repo / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("EXPOSE 8000", "RUN exit 3\nEXPOSE 8000"))
    commit_all(repo, platform.env, "a Dockerfile that does not build")
    failed = platform.git("push", "paas", "main", cwd=repo)
    assert failed.returncode != 0
    assert "docker build failed: The command '/bin/sh -c exit 3' returned a non-zero code: 3" in failed.stderr
    assert "hi from a Dockerfile v2" in platform.get(app)[1]
