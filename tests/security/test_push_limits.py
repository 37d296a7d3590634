"""Pushes as disk-filling attacks (issue 9: "a 30 MB push to a branch that does not deploy grew
the repository by 29 MB"): the real git client against the real git server. A push over
PAAS_MAX_PUSH is refused, and no refused push (too big, another branch, a failed deploy)
leaves its objects on disk."""
from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

from paas.adapters.git_server import GitRepos, Rejected, make_git_app
from tests.security.test_git_scope import git

LIMIT = 256 * 1024


@pytest.fixture
def server(tmp_path):
    repos = GitRepos(tmp_path / "repos")
    repos.init("hello")
    verdict = {"reject": False}

    def on_push(push, write_line):
        write_line("-----> deploying")
        if verdict["reject"]:
            raise Rejected("build failed: on purpose")

    app = make_git_app(repos, lambda user, password: "admin" if password == "t" else None,
                       on_push, max_push=LIMIT)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    work = tmp_path / "work"
    work.mkdir()
    git("init", "-q", "-b", "main", cwd=work)
    # one buffer: without chunked bodies, werkzeug's test server is enough here
    git("config", "http.postBuffer", str(64 * 1024 * 1024), cwd=work)
    yield repos, f"http://paas:t@127.0.0.1:{srv.server_port}/git/hello.git", work, verdict
    srv.shutdown()
    thread.join(timeout=10)


def objects(repos: GitRepos) -> set[str]:
    root = repos.path("hello") / "objects"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def commit(work, name: str, size: int) -> None:
    (work / name).write_bytes(os.urandom(size))  # random: it does not compress
    git("add", name, cwd=work)
    assert git("commit", "-qm", name, cwd=work).returncode == 0


def test_a_push_over_the_limit_is_refused_and_leaves_nothing(server):
    repos, url, work, _ = server
    commit(work, "small.bin", 1024)
    assert git("push", url, "main", cwd=work).returncode == 0
    kept = objects(repos)
    commit(work, "big.bin", 2 * LIMIT)
    push = git("push", url, "main", cwd=work)
    assert push.returncode != 0
    assert "push is over the limit of 256 KiB (PAAS_MAX_PUSH); nothing was kept" in push.stderr
    assert objects(repos) == kept
    assert repos.head("hello") == git("rev-parse", "HEAD~1", cwd=work).stdout.strip()


def test_a_push_to_a_branch_that_does_not_deploy_leaves_nothing(server):
    repos, url, work, _ = server
    commit(work, "first.bin", 1024)
    assert git("push", url, "main", cwd=work).returncode == 0
    kept = objects(repos)
    commit(work, "payload.bin", LIMIT // 2)
    push = git("push", url, "main:refs/heads/stash", cwd=work)
    assert push.returncode != 0 and "only main or master deploys" in push.stderr
    assert objects(repos) == kept


def test_a_failed_deploy_leaves_nothing(server):
    repos, url, work, verdict = server
    commit(work, "first.bin", 1024)
    assert git("push", url, "main", cwd=work).returncode == 0
    kept = objects(repos)
    verdict["reject"] = True
    commit(work, "second.bin", LIMIT // 2)
    push = git("push", url, "main", cwd=work)
    assert push.returncode != 0 and "build failed: on purpose" in push.stderr
    assert objects(repos) == kept
    verdict["reject"] = False
    assert git("push", url, "main", cwd=work).returncode == 0  # and it can be pushed again
    assert objects(repos) != kept
