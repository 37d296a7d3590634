"""Concurrency: pushes to one app take turns (or are rejected with a reason), ten apps deploy
at once, a config:set waits for a running push, and SQLite never says "database is locked"."""
from __future__ import annotations

import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from tests.faults.control_plane import containers, wait_until
from tests.faults.test_crash_safe_deploys import Push, current, releases
from tests.support import commit_all, copy_app


def no_database_locked(platform) -> None:
    log = (platform.home / "logs" / "api.log").read_text(errors="replace")
    assert "database is locked" not in log


def clone_with_version(platform, app: str, source, dest, version: str):
    shutil.copytree(source, dest)
    (dest / "version.txt").write_text(version + "\n")
    return commit_all(dest, platform.env, version)


def test_five_pushes_to_one_app_take_turns_or_are_rejected_cleanly(faulty, tmp_path):
    app = "five"
    repo = faulty.deploy(app, "fault-app", tmp_path)
    clones = {f"p{i}": tmp_path / f"clone{i}" for i in range(5)}
    shas = {name: clone_with_version(faulty, app, repo, dest, name) for name, dest in clones.items()}
    with ThreadPoolExecutor(5) as pool:
        results = dict(zip(clones, pool.map(lambda d: faulty.git("push", "paas", "main", cwd=d),
                                            clones.values())))
    won = [name for name, r in results.items() if r.returncode == 0]
    lost = [name for name, r in results.items() if r.returncode != 0]
    assert won, {n: r.stderr[-500:] for n, r in results.items()}
    for name in lost:  # a clean rejection: git's own line with the platform's reason
        assert "[remote rejected] main -> main (" in results[name].stderr, results[name].stderr[-800:]
    succeeded = [r for r in releases(faulty, app) if r["status"] == "succeeded" and r["version"] > 1]
    assert sorted(r["commit"] for r in succeeded) == sorted(shas[n] for n in won)
    last = max(succeeded, key=lambda r: r["version"])
    assert current(faulty, app) == last["version"]
    [name] = [n for n in won if shas[n] == last["commit"]]
    assert faulty.wait_for(app, f"fault-app {name}").strip() == f"fault-app {name}"
    no_database_locked(faulty)


def test_ten_apps_pushed_at_once_all_deploy(faulty, tmp_path):
    apps = [f"ten{i}" for i in range(10)]
    repos = {}
    for app in apps:
        assert faulty.paas("apps:create", app).returncode == 0
        repos[app] = copy_app("fault-app", tmp_path / app, faulty.env)
        (repos[app] / "version.txt").write_text(app + "\n")
        commit_all(repos[app], faulty.env, app)
        assert faulty.paas("git:remote", "-a", app, cwd=repos[app]).returncode == 0
    started = time.monotonic()
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda a: faulty.git("push", "paas", "main", cwd=repos[a]), apps))
    took = time.monotonic() - started
    assert [r.returncode for r in results] == [0] * 10, [r.stderr[-700:] for r in results if r.returncode]
    for app in apps:
        assert faulty.wait_for(app, f"fault-app {app}").strip() == f"fault-app {app}"
    print(f"10 apps pushed at once, all deployed in {took:.1f}s")
    no_database_locked(faulty)


def test_config_set_during_a_push_waits_its_turn(faulty, tmp_path):
    app = "turns"
    repo = faulty.deploy(app, "fault-app", tmp_path)
    (repo / "version.txt").write_text("v2\n")
    (repo / "release-delay").write_text("4\n")
    sha = commit_all(repo, faulty.env, "v2")
    push = Push(faulty, repo)
    wait_until("the push's release phase", lambda: any(
        c.status == "running" for c in containers(faulty, app, kind="run", release="2")), timeout=120)
    config = subprocess.run([*faulty.paas_cmd(), "config:set", "-a", app, "TURN=config"],
                            env=faulty.env, capture_output=True, text=True, timeout=300)
    assert push.proc.poll() is not None or push.said("Released v2"), \
        "config:set returned while the push was still deploying"
    assert push.wait() == 0, push.lines
    assert config.returncode == 0, config.stderr
    listed = {r["version"]: r for r in releases(faulty, app)}
    assert listed[2]["commit"] == sha and listed[2]["status"] == "succeeded"
    # The config change came after the push: its release runs the pushed code with the new key.
    assert listed[3]["commit"] == sha and listed[3]["status"] == "succeeded"
    assert current(faulty, app) == 3
    assert faulty.paas("config:get", "-a", app, "TURN").stdout.strip() == "config"
    assert faulty.wait_for(app, "fault-app v2").strip() == "fault-app v2"
    no_database_locked(faulty)
