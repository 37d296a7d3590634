"""dulwich smart HTTP under gunicorn, driven by the real git client."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paas.adapters.git_server import GitRepos
from tests.integration.git_wsgi import TOKEN
from tests.support import ROOT, free_port

ENV = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "srv"
    root.mkdir()
    GitRepos(root / "repos").init("hello")
    port = free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--bind", f"127.0.0.1:{port}",
         "--worker-class", "gthread", "--threads", "4", "--timeout", "600",
         "tests.integration.git_wsgi:make()"],
        cwd=ROOT, env={**ENV, "GIT_TEST_ROOT": str(root)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            import socket
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield root, port
    proc.terminate()
    proc.wait(timeout=10)


def url(port, app="hello", token=TOKEN):
    auth = f"paas:{token}@" if token is not None else ""
    return f"http://{auth}127.0.0.1:{port}/git/{app}.git"


def git(*args, cwd, check=True):
    result = subprocess.run(["git", *args], cwd=cwd, env=ENV, capture_output=True, text=True,
                            timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def work(tmp_path):
    repo = tmp_path / "work"
    repo.mkdir()
    git("init", "-q", "-b", "main", cwd=repo)
    (repo / "app.py").write_text("print('hi')\n")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "first", cwd=repo)
    return repo


def head(repo):
    return git("rev-parse", "HEAD", cwd=repo).stdout.strip()


def remote_ref(port, ref="refs/heads/main", cwd=None):
    out = git("ls-remote", url(port), ref, cwd=cwd).stdout.split()
    return out[0] if out else None


def pushes(root):
    path = root / "pushes.jsonl"
    return [json.loads(l) for l in path.read_text().splitlines()] if path.exists() else []


def test_push_to_main_runs_on_push_then_moves_the_ref(server, work):
    root, port = server
    result = git("push", url(port), "main", cwd=work)
    assert "remote: -----> step one" in result.stderr and "remote: -----> done" in result.stderr
    [push] = pushes(root)
    assert push == {"app": "hello", "ref": "refs/heads/main", "old_sha": "0" * 40,
                    "new_sha": head(work), "user": "admin"}
    assert remote_ref(port, cwd=work) == head(work)


def test_lines_reach_the_client_while_on_push_runs(server, work):
    root, port = server
    (root / "wait").touch()
    proc = subprocess.Popen(["git", "push", url(port), "main"], cwd=work, env=ENV,
                            stderr=subprocess.PIPE, text=True)
    seen_while_running = False
    for line in proc.stderr:
        if "step one" in line:
            seen_while_running = proc.poll() is None and not (root / "gate").exists()
            (root / "gate").touch()
    assert proc.wait(timeout=60) == 0
    assert seen_while_running


def test_rejection_keeps_the_ref_and_shows_the_reason(server, work):
    root, port = server
    git("push", url(port), "main", cwd=work)
    first = head(work)
    (work / "app.py").write_text("print('v2')\n")
    git("commit", "-qam", "second", cwd=work)
    (root / "reject").touch()
    result = git("push", url(port), "main", cwd=work, check=False)
    assert result.returncode != 0
    assert "[remote rejected] main -> main (build failed: rejected on purpose)" in result.stderr
    remote_lines = [l for l in result.stderr.splitlines() if l.startswith("remote:")]
    assert remote_lines[-1].strip() == "remote:  !     build failed: rejected on purpose"
    assert remote_ref(port, cwd=work) == first


def test_other_branches_are_refused(server, work):
    root, port = server
    result = git("push", url(port), "main:feature", cwd=work, check=False)
    assert result.returncode != 0
    assert "only main or master deploys (pushed refs/heads/feature); try: git push paas feature:main" in result.stderr
    assert pushes(root) == [] and remote_ref(port, "refs/heads/feature", cwd=work) is None
    assert git("push", url(port), "main:master", cwd=work).returncode == 0


def test_bad_or_missing_credentials_get_401_and_store_nothing(server, work):
    root, port = server
    for token in ("wrong", None):
        result = git("push", url(port, token=token), "main", cwd=work, check=False)
        assert result.returncode != 0
        assert "Authentication failed" in result.stderr or "could not read Username" in result.stderr
    objects = root / "repos" / "hello.git" / "objects"
    assert [p for p in objects.rglob("*") if p.is_file()] == []
    import urllib.request
    req = urllib.request.Request(f"http://127.0.0.1:{port}/git/hello.git/info/refs?service=git-receive-pack")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 401 and err.value.headers["WWW-Authenticate"] == 'Basic realm="paas"'


@pytest.mark.parametrize("app", ["ghost", "..", "Foo", "hello.git/../x"])
def test_unknown_app(server, work, app):
    _, port = server
    result = git("push", url(port, app=app), "main", cwd=work, check=False)
    assert result.returncode != 0 and "no such app" in result.stderr


def test_push_over_one_mib_goes_through_gunicorn(server, work):
    root, port = server
    (work / "blob.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    git("add", "-A", cwd=work)
    git("commit", "-qm", "big", cwd=work)
    result = git("push", url(port), "main", cwd=work, check=False)
    assert result.returncode == 0, result.stderr
    assert remote_ref(port, cwd=work) == head(work)


def test_clone_and_archive(server, work, tmp_path):
    root, port = server
    git("push", url(port), "main", cwd=work)
    git("clone", "-q", url(port), str(tmp_path / "clone"), cwd=tmp_path)
    assert (tmp_path / "clone" / "app.py").read_text() == "print('hi')\n"
    import io
    import tarfile
    data = b"".join(GitRepos(root / "repos").archive("hello", head(work)))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert tar.getnames() == ["app/app.py"]
