"""The walking skeleton end to end: make an app, git push it, curl it through nginx.

Real everything: the platform started by its own control command, gunicorn, dulwich, the real
git client, Docker builds with the python buildpack, nginx. Timings go to the test's output.
"""
from __future__ import annotations

import subprocess
import time

from tests.support import PAAS, commit_all, copy_app


def push(platform, repo, *refspec):
    """Run `git push`, returning (exit code, stderr lines, seconds, whether the first build
    line arrived while git was still running)."""
    started = time.monotonic()
    proc = subprocess.Popen(["git", "push", "paas", *(refspec or ["main"])], cwd=repo,
                            env=platform.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    lines, live = [], False
    for line in proc.stderr:
        lines.append(line.rstrip("\n"))
        if "Using buildpack" in line and proc.poll() is None:
            live = True
    proc.wait(timeout=900)
    return proc.returncode, lines, time.monotonic() - started, live


def remote_sha(platform, repo):
    out = platform.git("ls-remote", "paas", "refs/heads/main", cwd=repo).stdout
    return out.split()[0] if out else None


def test_push_build_serve_update_and_reject(platform, tmp_path):
    created = platform.paas("apps:create", "hello")
    assert created.returncode == 0, created.stderr
    assert "Creating hello... done" in created.stdout

    repo = copy_app("flask-hello", tmp_path / "hello", platform.env)
    remote = platform.paas("git:remote", "-a", "hello", cwd=repo)
    assert remote.returncode == 0, remote.stderr

    code, lines, cold, live = push(platform, repo)
    assert code == 0, "\n".join(lines)
    assert live, "build output reached git only when the push ended"
    assert any("-----> Python app detected" in l for l in lines)
    assert any(f"http://hello.localhost:{platform.http_port}/ deployed" in l for l in lines)
    assert "hello from v1" in platform.wait_for("hello", "hello from v1")

    (repo / "app.py").write_text((repo / "app.py").read_text().replace("v1", "v2"))
    good_sha = commit_all(repo, platform.env, "v2")
    code, lines, warm, _ = push(platform, repo)
    assert code == 0, "\n".join(lines)
    platform.wait_for("hello", "hello from v2", timeout=2)
    print(f"\ncold push {cold:.1f}s, warm push {warm:.1f}s")

    # A body larger than nginx's in-memory buffer goes through its temp files to the app whole
    # (the router's workers must be able to write them).
    for size in (1000, 300_000, 5_000_000):
        sent = subprocess.run(["curl", "-s", "-H", "Host: hello.localhost", "--data-binary",
                               "@-", f"{platform.router_url}/length"], input=b"x" * size,
                              capture_output=True, timeout=30)
        assert sent.stdout.decode() == str(size), sent.stdout[-300:]

    apps = platform.paas("apps")
    assert apps.returncode == 0 and "hello" in [l.split()[0] for l in apps.stdout.splitlines()[2:]]
    info = platform.paas("apps:info", "-a", "hello")
    assert info.returncode == 0 and "v2" in info.stdout and "web.1 running" in info.stdout
    opened = platform.paas("open", cwd=repo)  # the app comes from the paas remote
    assert opened.stdout.strip() == f"http://hello.localhost:{platform.http_port}/"

    # A failing build rejects the push, leaves the ref and keeps v2 serving.
    (repo / "requirements.txt").write_text("paas-this-package-does-not-exist-4242==1.0\n")
    commit_all(repo, platform.env, "broken deps")
    code, lines, _, _ = push(platform, repo)
    assert code != 0
    remote_lines = [l for l in lines if l.startswith("remote:") and l.strip() != "remote:"]
    assert "build failed" in remote_lines[-1], "\n".join(lines)
    assert any("[remote rejected] main -> main" in l for l in lines)
    assert remote_sha(platform, repo) == good_sha
    assert "hello from v2" in platform.get("hello")[1]

    # Only main or master deploys.
    code, lines, _, _ = push(platform, repo, "HEAD:refs/heads/feature")
    assert code != 0 and any("only main or master" in l for l in lines), "\n".join(lines)


def test_bad_input_is_refused_with_one_line(platform, tmp_path):
    for name in ["../x", "Foo", "", "a" * 200]:
        result = platform.paas("apps:create", name)
        assert result.returncode == 1
        assert len(result.stderr.strip().splitlines()) == 1 and "invalid app name" in result.stderr
    platform.paas("apps:create", "dup")
    dup = platform.paas("apps:create", "dup")
    assert dup.returncode == 1 and "already exists" in dup.stderr

    repo = copy_app("flask-hello", tmp_path / "ghost", platform.env)
    env = platform.env
    url = f"http://paas:{platform.token}@127.0.0.1:{platform.api_port}/git/ghost.git"
    result = subprocess.run(["git", "push", url, "main"], cwd=repo, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "no such app" in result.stderr

    bad = f"http://paas:wrong@127.0.0.1:{platform.api_port}/git/dup.git"
    result = subprocess.run(["git", "push", bad, "main"], cwd=repo, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and ("401" in result.stderr or "Authentication failed" in result.stderr)

    result = subprocess.run([PAAS, "apps"], env={**env, "PAAS_TOKEN": "nope"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "invalid token" in result.stderr
