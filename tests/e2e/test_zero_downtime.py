"""Zero downtime under load: pushes, config changes, a restart and scaling while 20 keep-alive
clients hit the app through nginx; then a push that fails its health check (issue 3)."""
from __future__ import annotations

import json

from tests.load import Load
from tests.support import commit_all


def test_no_request_fails_during_deploys(platform, tmp_path):
    app = "steady"
    repo = platform.deploy(app, "flask-worker", tmp_path)
    platform.wait_for(app, "hello from v1")

    def ok(*argv):
        result = platform.paas(*argv, cwd=repo)
        assert result.returncode == 0, result.stderr

    with Load(platform.http_port, f"{app}.localhost", clients=20) as load:
        for n in (2, 3, 4):
            app_py = repo / "app.py"
            app_py.write_text(app_py.read_text().replace(f"v{n - 1}", f"v{n}"))
            commit_all(repo, platform.env, f"v{n}")
            platform.push(repo)
        ok("config:set", "A=1")
        ok("config:set", "B=2")
        ok("ps:restart")
        ok("ps:scale", "web=3", "worker=1")
        assert sorted(p["name"] for p in json.loads(platform.paas("ps", "--json", cwd=repo).stdout)["processes"]
                      if p["state"] == "running") == ["web.1", "web.2", "web.3", "worker.1"]
        ok("ps:scale", "web=1")
        good = (repo / "app.py").read_text()
        (repo / "app.py").write_text(good.replace('return f"hello from {VERSION}\\n"',
                                                  'return "broken", 500'))
        commit_all(repo, platform.env, "breaks its health check")
        failed = platform.git("push", "paas", "main", cwd=repo)
        result = load.stop()
    assert failed.returncode != 0 and "answered / with status 500" in failed.stderr
    print(f"\n{result.ok} ok, {result.failed} failed, {result.retried} retried on a closed "
          f"keep-alive connection, p50 {result.p50 * 1000:.1f} ms, p99 {result.percentile(99) * 1000:.1f} ms")
    assert result.failed == 0, result.errors
    assert result.ok > 200
    assert {"hello from v1", "hello from v4"} <= result.bodies
    assert "hello from v4" in platform.get(app)[1]
    ps = json.loads(platform.paas("ps", "--json", cwd=repo).stdout)
    assert ps["formation"] == {"web": 1, "worker": 1}
    assert sorted(p["name"] for p in ps["processes"] if p["state"] == "running") == ["web.1", "worker.1"]
