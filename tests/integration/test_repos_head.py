"""GitRepos.head: the commit the deployed branch names, read from a real bare repository that
the real git client pushed to (what `POST /apps/<app>/builds` builds again)."""
from __future__ import annotations

import os
import subprocess

from dulwich.repo import Repo

from paas.adapters.git_server import GitRepos

ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
       "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@x"}


def git(*args, cwd) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True,
                          text=True).stdout.strip()


def test_head_follows_the_deployed_branch(tmp_path):
    repos = GitRepos(tmp_path / "repos")
    bare = repos.init("hello")
    assert repos.head("hello") is None  # HEAD names main, which nobody pushed yet
    assert repos.head("ghost") is None
    work = tmp_path / "work"
    git("init", "-q", "-b", "main", str(work), cwd=tmp_path)
    (work / "a").write_text("1")
    git("add", "a", cwd=work)
    git("commit", "-qm", "one", cwd=work)
    git("push", "-q", str(bare), "main", "main:master", cwd=work)
    main_sha = git("rev-parse", "HEAD", cwd=work)
    assert repos.head("hello") == main_sha
    (work / "a").write_text("2")
    git("commit", "-qam", "two", cwd=work)
    git("push", "-q", str(bare), "main:master", cwd=work)
    repo = Repo(str(bare))
    repo.refs.set_symbolic_ref(b"HEAD", b"refs/heads/master")  # as a deploy from master does
    repo.close()
    assert repos.head("hello") == git("rev-parse", "HEAD", cwd=work) != main_sha
