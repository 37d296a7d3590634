"""dulwich smart HTTP under gunicorn (gthread), driven by the real git client."""
from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from paas.adapters.git_server import GitRepos
from tests.integration.git_wsgi import TOKEN
from tests.support import ROOT, free_port

ENV = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1",
       "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}


@dataclass
class Server:
    root: Path
    port: int

    def url(self, app: str = "hello", token: str | None = TOKEN) -> str:
        auth = f"paas:{token}@" if token is not None else ""
        return f"http://{auth}127.0.0.1:{self.port}/git/{app}.git"

    def pushes(self, name: str = "pushes.jsonl") -> list[dict]:
        path = self.root / name
        return [json.loads(l) for l in path.read_text().splitlines()] if path.exists() else []

    def ref(self, ref: str = "refs/heads/main") -> str | None:
        out = git("ls-remote", self.url(), ref, cwd=self.root).stdout.split()
        return out[0] if out else None


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "srv"
    root.mkdir()
    GitRepos(root / "repos").init("hello")
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--bind", f"127.0.0.1:{port}",
         "--worker-class", "gthread", "--threads", "4", "--timeout", "600",
         "--no-control-socket", "tests.integration.git_wsgi:make()"],
        cwd=ROOT, env={**ENV, "GIT_TEST_ROOT": str(root)}, stdout=log, stderr=log,
        start_new_session=True,
    )
    try:
        _wait_for_port(port, proc, tmp_path / "gunicorn.log")
        yield Server(root, port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"gunicorn exited:\n{log.read_text()}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"gunicorn did not listen on {port}:\n{log.read_text()}")


def git(*args, cwd, check=True, env=None):
    result = subprocess.run(["git", *args], cwd=cwd, env={**ENV, **(env or {})},
                            capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def commit(repo: Path, files: dict[str, str | bytes], message: str = "change") -> str:
    for name, body in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body if isinstance(body, bytes) else body.encode())
    git("add", "-A", cwd=repo)
    git("commit", "-qm", message, cwd=repo)
    return git("rev-parse", "HEAD", cwd=repo).stdout.strip()


@pytest.fixture
def work(tmp_path):
    repo = tmp_path / "work"
    repo.mkdir()
    git("init", "-q", "-b", "main", cwd=repo)
    commit(repo, {"app.py": "print('hi')\n"}, "first")
    return repo


def remote_lines(stderr: str) -> list[str]:
    return [l.removeprefix("remote:").strip() for l in stderr.splitlines() if l.startswith("remote:")]


def wait_until(predicate, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()


def test_push_to_main_runs_on_push_then_moves_the_ref(server, work):
    first = git("rev-parse", "HEAD", cwd=work).stdout.strip()
    result = git("push", server.url(), "main", cwd=work)
    assert remote_lines(result.stderr) == ["-----> step one", "-----> done"]
    assert server.pushes() == [{"app": "hello", "ref": "refs/heads/main", "old_sha": "0" * 40,
                                "new_sha": first, "user": "admin"}]
    assert server.ref() == first
    second = commit(work, {"app.py": "print('v2')\n"})
    git("push", server.url(), "main", cwd=work)
    assert server.pushes()[1]["old_sha"] == first and server.pushes()[1]["new_sha"] == second
    assert server.ref() == second


def test_lines_reach_the_client_while_on_push_runs(server, work):
    (server.root / "wait").touch()
    proc = subprocess.Popen(["git", "push", server.url(), "main"], cwd=work, env=ENV,
                            stderr=subprocess.PIPE, text=True)
    seen_while_running = None
    for line in proc.stderr:
        if "step one" in line and seen_while_running is None:
            # on_push is still held at the gate, which only this test opens
            seen_while_running = (proc.poll() is None and server.pushes("finished.jsonl") == []
                                  and server.ref() is None)
            (server.root / "gate").touch()
    assert proc.wait(timeout=60) == 0
    assert seen_while_running


def test_rejection_keeps_the_ref_and_shows_the_reason(server, work):
    git("push", server.url(), "main", cwd=work)
    first = server.ref()
    commit(work, {"app.py": "print('v2')\n"})
    (server.root / "reject").touch()
    result = git("push", server.url(), "main", cwd=work, check=False)
    assert result.returncode != 0
    assert "! [remote rejected] main -> main (build failed: rejected on purpose)" in result.stderr
    assert remote_lines(result.stderr)[-1] == "!     build failed: rejected on purpose"
    assert server.ref() == first


def test_an_unexpected_error_rejects_with_a_generic_reason(server, work):
    (server.root / "crash").touch()
    result = git("push", server.url(), "main", cwd=work, check=False)
    assert result.returncode != 0
    assert "main -> main (deploy failed: RuntimeError: disk on fire)" in result.stderr
    assert remote_lines(result.stderr)[-1] == "!     deploy failed: RuntimeError: disk on fire"
    assert server.ref() is None


def test_other_branches_and_tags_are_refused_with_a_hint(server, work):
    result = git("push", server.url(), "main:feature", cwd=work, check=False)
    assert result.returncode != 0
    assert ("main -> feature (only main or master deploys (pushed refs/heads/feature); "
            "try: git push paas feature:main)") in result.stderr
    git("tag", "-a", "v1", "-m", "one", cwd=work)
    result = git("push", server.url(), "v1", cwd=work, check=False)
    assert result.returncode != 0
    assert ("v1 -> v1 (only main or master deploys (pushed refs/tags/v1); "
            "try: git push paas v1^{commit}:refs/heads/main)") in result.stderr
    assert server.pushes() == [] and server.ref("refs/heads/feature") is None
    assert server.ref("refs/tags/v1") is None
    git("push", server.url(), "v1^{commit}:refs/heads/main", cwd=work)  # the hint works
    assert server.ref() == git("rev-parse", "HEAD", cwd=work).stdout.strip()


def test_master_deploys_too_and_head_follows_it(server, work):
    git("push", server.url(), "main:master", cwd=work)
    assert server.pushes()[0]["ref"] == "refs/heads/master"
    symref = git("ls-remote", "--symref", server.url(), "HEAD", cwd=work).stdout
    assert symref.startswith("ref: refs/heads/master\tHEAD")


def test_deleting_main_is_refused(server, work):
    git("push", server.url(), "main", cwd=work)
    result = git("push", server.url(), ":main", cwd=work, check=False)
    assert result.returncode != 0 and "(deleting main is not supported)" in result.stderr
    assert server.ref() is not None


def test_pushes_that_would_deploy_twice_or_fail_atomically_deploy_nothing(server, work):
    result = git("push", server.url(), "main", "main:master", cwd=work, check=False)
    assert result.returncode != 0 and "(push main or master, not both at once)" in result.stderr
    result = git("push", "--atomic", server.url(), "main", "main:feature", cwd=work, check=False)
    assert result.returncode != 0
    assert "main -> main (not deployed: another ref of this atomic push was refused)" in result.stderr
    assert server.pushes() == [] and server.ref() is None


def test_a_shallow_push_is_refused_clearly(server, work, tmp_path):
    commit(work, {"app.py": "print('v2')\n"})
    shallow = tmp_path / "shallow"
    git("clone", "-q", "--depth", "1", f"file://{work}", str(shallow), cwd=tmp_path)
    commit(shallow, {"app.py": "print('v3')\n"})
    result = git("push", server.url(), "HEAD:main", cwd=shallow, check=False)
    assert result.returncode != 0
    assert ("main (shallow pushes are not supported; run: git fetch --unshallow, then push "
            "again)") in result.stderr
    assert server.pushes() == [] and server.ref() is None


def test_push_options_are_refused_by_git_itself(server, work):
    result = git("push", "-o", "ci.skip", server.url(), "main", cwd=work, check=False)
    assert result.returncode != 0
    assert "the receiving end does not support push options" in result.stderr


def test_bad_or_missing_credentials_get_401_and_store_nothing(server, work):
    for token in ("wrong", None):
        result = git("push", server.url(token=token), "main", cwd=work, check=False)
        assert result.returncode != 0
        assert "Authentication failed" in result.stderr or "could not read Username" in result.stderr
    objects = server.root / "repos" / "hello.git" / "objects"
    assert [p for p in objects.rglob("*") if p.is_file()] == []
    assert server.pushes() == []
    base = f"http://127.0.0.1:{server.port}/git/hello.git"
    for req in (urllib.request.Request(f"{base}/info/refs?service=git-receive-pack"),
                urllib.request.Request(f"{base}/git-receive-pack", data=b"0000", headers={
                    "Authorization": "Basic cGFhczp3cm9uZw==",  # paas:wrong
                    "Content-Type": "application/x-git-receive-pack-request"})):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=5)
        assert err.value.code == 401 and err.value.headers["WWW-Authenticate"] == 'Basic realm="paas"'


@pytest.mark.parametrize("app,shown", [("ghost", "ghost"), ("Foo", "Foo"), ("..", ".."),
                                       ("hello.git/../x", "x"), ("a" * 31, "a" * 31)])
def test_unknown_app(server, work, app, shown):
    result = git("push", server.url(app=app), "main", cwd=work, check=False)
    assert result.returncode != 0
    assert f"fatal: remote error: no such app: {shown}\n" in result.stderr


def test_clone_of_an_unknown_app(server, tmp_path):
    result = git("clone", server.url(app="ghost"), str(tmp_path / "c"), cwd=tmp_path, check=False)
    assert result.returncode != 0 and "fatal: remote error: no such app: ghost" in result.stderr


def test_push_over_one_mib_goes_through_gunicorn(server, work):
    sha = commit(work, {"blob.bin": os.urandom(3 * 1024 * 1024)}, "big")  # git sends it chunked
    result = git("push", server.url(), "main", cwd=work, check=False)
    assert result.returncode == 0, result.stderr
    assert server.ref() == sha and server.pushes()[0]["new_sha"] == sha


def test_clone_and_fetch(server, work, tmp_path):
    git("push", server.url(), "main", cwd=work)
    clone = tmp_path / "clone"
    git("clone", "-q", server.url(), str(clone), cwd=tmp_path)
    assert (clone / "app.py").read_text() == "print('hi')\n"
    second = commit(work, {"app.py": "print('v2')\n", "more.bin": os.urandom(2 * 1024 * 1024)})
    git("push", server.url(), "main", cwd=work)
    # Enough local commits that git gzips its "have" lines. They are dated after origin/main:
    # a commit of the same second ties with it in git's date-ordered walk, so the common
    # commit can go out in the first, small round and the fetch ends before any gzip.
    common = int(git("log", "-1", "--format=%ct", "origin/main", cwd=clone).stdout)
    for n in range(150):
        date = {"GIT_AUTHOR_DATE": f"{common + 1 + n} +0000",
                "GIT_COMMITTER_DATE": f"{common + 1 + n} +0000"}
        git("commit", "-q", "--allow-empty", "-m", f"local {n}", cwd=clone, env=date)
    fetch = subprocess.run(["git", "fetch", "origin"], cwd=clone, capture_output=True, text=True,
                           env={**ENV, "GIT_TRACE_CURL": "1", "GIT_TRACE_CURL_NO_DATA": "1"})
    assert fetch.returncode == 0, fetch.stderr
    assert "Content-Encoding: gzip" in fetch.stderr
    assert git("rev-parse", "origin/main", cwd=clone).stdout.strip() == second


def test_a_client_that_goes_away_does_not_break_the_deploy(server, work):
    (server.root / "wait").touch()
    (server.root / "chatty").touch()
    proc = subprocess.Popen(["git", "push", server.url(), "main"], cwd=work, env=ENV,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        for line in proc.stderr:
            if "step one" in line:
                break
        os.killpg(proc.pid, signal.SIGKILL)  # git and its git-remote-http helper
    finally:
        proc.wait(timeout=10)
        proc.stderr.close()
    (server.root / "gate").touch()  # on_push now writes 200 lines into a closed connection
    assert wait_until(lambda: server.pushes("finished.jsonl") != [])
    assert server.ref() == git("rev-parse", "HEAD", cwd=work).stdout.strip()


def test_pushes_to_one_app_take_turns_and_a_stale_one_is_not_deployed(server, work, tmp_path):
    other = tmp_path / "other"
    git("clone", "-q", str(work), str(other), cwd=tmp_path)
    theirs = commit(other, {"app.py": "print('theirs')\n"})
    (server.root / "wait").touch()
    first = subprocess.Popen(["git", "push", server.url(), "main"], cwd=work, env=ENV,
                             stderr=subprocess.DEVNULL)
    second = None
    try:
        assert wait_until(lambda: len(server.pushes()) == 1)  # the first holds its turn
        second = subprocess.Popen(["git", "push", server.url(), "main"], cwd=other, env=ENV,
                                  stderr=subprocess.PIPE, text=True)
        packs = server.root / "repos" / "hello.git" / "objects" / "pack"
        time.sleep(0.5)
        # ... the second waits for its turn before its pack is stored (a refused push's
        # objects are removed, so no two receives of one app overlap)
        assert len(server.pushes()) == 1 and len(list(packs.glob("*.pack"))) == 1
        (server.root / "gate").touch()
        assert first.wait(timeout=60) == 0
        _, err = second.communicate(timeout=60)
        assert len(list(packs.glob("*.pack"))) == 1  # the stale push left nothing
    finally:
        for proc in (first, second):
            if proc and proc.poll() is None:
                proc.kill()
                proc.wait()
    assert second.returncode != 0
    assert "main -> main (not deployed: the branch moved while this push waited" in err
    assert [p["new_sha"] for p in server.pushes()] == [git("rev-parse", "HEAD", cwd=work).stdout.strip()]
    assert server.ref() != theirs


def test_archive_keeps_modes_and_symlinks(tmp_path, work):
    repos = GitRepos(tmp_path / "repos")
    bare = repos.init("hello")
    (work / "bin").mkdir()
    (work / "bin" / "run").write_text("#!/bin/sh\necho hi\n")
    (work / "bin" / "run").chmod(0o755)
    (work / "run-link").symlink_to("bin/run")
    sha = commit(work, {"docs/at 10:00.md": "colon\n", "web/static/app.js": "x\n"})
    git("push", "-q", str(bare), "main", cwd=work)  # local transport: only the archive is tested
    data = b"".join(repos.archive("hello", sha))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name: m for m in tar}
    assert sorted(members) == ["app/app.py", "app/bin/run", "app/docs/at 10:00.md",
                               "app/run-link", "app/web/static/app.js"]
    assert members["app/bin/run"].mode == 0o755 and members["app/app.py"].mode == 0o644
    assert members["app/run-link"].issym() and members["app/run-link"].linkname == "bin/run"
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(["tar", "-x", "-C", str(out)], input=data, check=True)
    assert os.access(out / "app" / "bin" / "run", os.X_OK)
    assert (out / "app" / "run-link").read_text() == "#!/bin/sh\necho hi\n"
