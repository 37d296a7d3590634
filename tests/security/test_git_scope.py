"""Git with an app token, tried with the real git client against the real git server (issue 9:
any token could clone or push any repository)."""
from __future__ import annotations

import os
import subprocess
import threading

import pytest
from werkzeug.serving import make_server

from paas.adapters.git_server import GitRepos
from paas.server.app import create_app
from tests.fakes import fake_services

ENV = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1",
       "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, capture_output=True, text=True,
                          timeout=60)


@pytest.fixture
def platform(tmp_path):
    home = tmp_path / "home"
    services = fake_services(home, repos=GitRepos(home / "repos"))
    services.tokens.ensure_admin(services.settings.token_file)
    for app in ("mine", "theirs"):
        services.apps.create(app)
    dev = services.tokens.create("dev", apps=["mine"], created_by="admin")
    server = make_server("127.0.0.1", 0, create_app(services.settings, services), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield services, f"http://paas:{dev}@127.0.0.1:{server.server_port}/git", tmp_path
    server.shutdown()
    thread.join(timeout=10)


def test_an_app_token_cannot_clone_or_push_another_app(platform):
    services, base, tmp = platform
    work = tmp / "work"
    work.mkdir()
    assert git("init", "-q", "-b", "main", cwd=work).returncode == 0
    (work / "secret.txt").write_text("mine\n")
    git("add", ".", cwd=work)
    assert git("commit", "-qm", "one", cwd=work).returncode == 0

    clone = git("clone", f"{base}/theirs.git", str(tmp / "stolen"), cwd=tmp)
    assert clone.returncode != 0 and "no such app: theirs" in clone.stderr
    push = git("push", f"{base}/theirs.git", "main", cwd=work)
    assert push.returncode != 0 and "no such app: theirs" in push.stderr
    assert services.repos.head("theirs") is None
    # the same answer as for an app that does not exist
    ghost = git("clone", f"{base}/ghost.git", str(tmp / "ghost"), cwd=tmp)
    assert ghost.returncode != 0 and "no such app: ghost" in ghost.stderr
    # its own app: allowed (an empty repository clones with a warning)
    own = git("clone", f"{base}/mine.git", str(tmp / "own"), cwd=tmp)
    assert own.returncode == 0, own.stderr
