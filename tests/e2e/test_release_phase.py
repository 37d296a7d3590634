"""app.json's predeploy script, then the Procfile's `release` command, run once per release before
traffic moves; when one fails, the deploy fails and the running release keeps serving; app.json's
formation scales the first deploy (issue 5)."""
from __future__ import annotations

import json


def test_release_phase(platform, tmp_path):
    app = "migrator"
    repo = platform.deploy(app, "flask-release", tmp_path)
    builds = json.loads(platform.paas("builds", "--json", cwd=repo).stdout)
    assert builds[0]["status"] == "succeeded" and builds[0]["buildpack"] == "python"
    out = platform.paas("builds:output", cwd=repo).stdout
    assert "-----> Python app detected" in out
    assert "hello from v1" in platform.get(app)[1]
    logs = platform.paas("logs", "-n", "50", cwd=repo).stdout
    assert "paas[deploy]: v1 is live" in logs

    failed = platform.paas("config:set", "RELEASE_EXIT=4", cwd=repo)
    assert failed.returncode == 1
    assert failed.stderr.splitlines()[-1] == (
        "paas: v2 failed: the release command exited with status 4; the running release is unchanged")
    assert "       migrating database" in failed.stderr
    assert failed.stderr.index("       preparing assets") < failed.stderr.index("       migrating database")
    assert json.loads(platform.paas("config", "--json", cwd=repo).stdout) == {}
    releases = json.loads(platform.paas("releases", "--json", cwd=repo).stdout)
    assert [r["status"] for r in releases] == ["failed", "succeeded"]
    assert "hello from v1" in platform.get(app)[1]
    ps = json.loads(platform.paas("ps", "--json", cwd=repo).stdout)
    assert ps["formation"] == {"web": 2}
    assert [p["name"] for p in ps["processes"] if p["state"] == "running"] == ["web.1", "web.2"]
