"""A crash-looping worker (issue 13): after Docker's first quick restarts, convergence stops it
and retries with a growing backoff; `ps` says `crashed` with the restart count, the last exit
status and the next try; `paas logs` shows its last lines; the web process keeps serving."""
from __future__ import annotations

import json
import time

from tests.support import commit_all


def test_a_crash_looping_worker_backs_off_and_its_neighbour_serves(platform, tmp_path):
    app = "crashy"
    repo = platform.deploy(app, "flask-hello", tmp_path)
    procfile = (repo / "Procfile").read_text()
    (repo / "Procfile").write_text(procfile + "worker: python -c 'import time; time.sleep(1); "
                                              "print(\"worker gives up\", flush=True); "
                                              "raise SystemExit(4)'\n")
    commit_all(repo, platform.env, "a worker that crashes")
    platform.push(repo)
    scaled = platform.paas("ps:scale", "worker=1", cwd=repo)
    assert scaled.returncode == 0, scaled.stderr
    deadline, crashed = time.monotonic() + 90, None
    while time.monotonic() < deadline and crashed is None:
        ps = json.loads(platform.paas("ps", "--json", cwd=repo).stdout)["processes"]
        crashed = next((p for p in ps if p["name"] == "worker.1" and p["state"] == "crashed"), None)
        time.sleep(0.5)
    assert crashed is not None, ps
    assert crashed["exit_status"] == 4 and crashed["restarts"] >= 4 and crashed["next_try"]
    shown = platform.paas("ps", cwd=repo).stdout
    assert "crashed" in shown and "exit status 4, next try" in shown
    assert "app[worker.1]: worker gives up" in platform.paas("logs", cwd=repo).stdout
    platform.wait_for(app, "hello from v1")
    assert platform.paas("ps:scale", "worker=0", cwd=repo).returncode == 0
