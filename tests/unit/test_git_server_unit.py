"""The git server adapter without a network: which ref updates deploy, how requests are answered
before dulwich sees them, and how the receive handler talks to on_push."""
from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest

from paas.adapters import git_server
from paas.adapters.git_server import (GitRepos, Push, Rejected, basic_user, make_git_app, refusal,
                                      refusals, without_transfer_encoding)

Z = b"0" * 40
A, B = b"a" * 40, b"b" * 40


# ---- which ref updates deploy

def test_main_and_master_deploy():
    assert refusal(b"refs/heads/main", A) is None and refusal(b"refs/heads/master", A) is None


@pytest.mark.parametrize("ref,new,reason", [
    (b"refs/heads/feature", A,
     "only main or master deploys (pushed refs/heads/feature); try: git push paas feature:main"),
    (b"refs/tags/v1", A, "only main or master deploys (pushed refs/tags/v1); "
                         "try: git push paas v1^{commit}:refs/heads/main"),
    (b"refs/notes/commits", A, "only main or master deploys (pushed refs/notes/commits)"),
    (b"refs/heads/main", Z, "deleting main is not supported"),
    (b"refs/heads/master", Z, "deleting master is not supported"),
])
def test_everything_else_is_refused_with_a_reason(ref, new, reason):
    assert refusal(ref, new) == reason


def test_one_push_deploys_at_most_once():
    both = [(Z, A, b"refs/heads/main"), (Z, A, b"refs/heads/master")]
    assert refusals(both, shallow=False, atomic=False) == dict.fromkeys(
        [b"refs/heads/main", b"refs/heads/master"], "push main or master, not both at once")


def test_an_atomic_push_that_will_fail_deploys_nothing():
    mixed = [(Z, A, b"refs/heads/main"), (Z, A, b"refs/heads/feature")]
    atomic = refusals(mixed, shallow=False, atomic=True)
    assert atomic[b"refs/heads/main"] == "not deployed: another ref of this atomic push was refused"
    assert refusals(mixed, shallow=False, atomic=False)[b"refs/heads/main"] is None


def test_a_shallow_push_is_refused_whole():
    reasons = refusals([(Z, A, b"refs/heads/main")], shallow=True, atomic=False)
    assert reasons == {b"refs/heads/main": "shallow pushes are not supported; "
                                           "run: git fetch --unshallow, then push again"}


# ---- credentials

def _basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("header,expected", [
    (_basic("anyone:tok"), "admin"), (_basic("anyone:tok:with:colons"), None),
    (_basic("anyone:nope"), None), (_basic("no-colon"), None), ("Basic !!!", None),
    ("Bearer tok", None), ("", None),
])
def test_basic_user(header, expected):
    assert basic_user(header, lambda _u, p: "admin" if p == "tok" else None) == expected


# ---- requests answered before dulwich

@pytest.fixture
def repos(tmp_path) -> GitRepos:
    repos = GitRepos(tmp_path / "repos")
    repos.init("hello")
    return repos


def call(app, path, *, method="GET", query="", auth=_basic("u:tok"), **extra):
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)
        return lambda data: seen.setdefault("written", []).append(data)

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
               "HTTP_AUTHORIZATION": auth, "wsgi.input": io.BytesIO(), **extra}
    body = app(environ, start_response)
    try:
        data = b"".join(body) + b"".join(seen.get("written", []))
    finally:
        getattr(body, "close", lambda: None)()
    return seen["status"], seen["headers"], data


def never(*_):
    raise AssertionError("on_push must not run")


@pytest.fixture
def wsgi(repos):
    return make_git_app(repos, lambda _u, p: "admin" if p == "tok" else None, never)


@pytest.mark.parametrize("auth", ["", _basic("u:wrong")])
def test_no_or_wrong_credentials_get_401_before_anything_else(wsgi, auth):
    status, headers, _ = call(wsgi, "/git/ghost.git/info/refs", query="service=git-receive-pack",
                              auth=auth)
    assert status == "401 Unauthorized" and headers["WWW-Authenticate"] == 'Basic realm="paas"'


def test_unknown_app_answers_in_words_git_prints(wsgi):
    status, headers, body = call(wsgi, "/git/ghost.git/info/refs", query="service=git-upload-pack")
    assert status == "200 OK"
    assert headers["Content-Type"] == "application/x-git-upload-pack-advertisement"
    assert body == b"001e# service=git-upload-pack\n0000001aERR no such app: ghost"
    status, _, body = call(wsgi, "/git/ghost.git/git-receive-pack", method="POST")
    assert (status, body) == ("404 Not Found", b"no such app: ghost\n")


@pytest.mark.parametrize("path", ["/git/hello.git/objects/info/packs", "/git/hello.git/HEAD",
                                  "/git/hello/info/refs", "/git/hello.git/x/info/refs"])
def test_only_smart_http_urls_are_served(wsgi, path):
    assert call(wsgi, path)[0] == "404 Not Found"


def test_dumb_info_refs_is_not_served(wsgi):
    assert call(wsgi, "/git/hello.git/info/refs")[0] == "403 Forbidden"
    assert call(wsgi, "/git/hello.git/info/refs", query="service=x")[0] == "403 Forbidden"


def test_refs_are_advertised_and_the_repos_closed(wsgi, monkeypatch):
    opened, closed = [], []

    class CountingRepo(git_server.Repo):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            opened.append(self)

        def close(self):
            closed.append(self)
            super().close()

    monkeypatch.setattr(git_server, "Repo", CountingRepo)
    status, _, body = call(wsgi, "/git/hello.git/info/refs", query="service=git-receive-pack")
    assert status == "200 OK"
    assert body.startswith(b"001f# service=git-receive-pack\n0000") and b"report-status" in body
    assert opened and sorted(map(id, closed)) == sorted(map(id, opened))


def test_the_transfer_encoding_header_is_dropped():
    seen = {}
    app = without_transfer_encoding(lambda environ, _sr: seen.update(environ) or [])
    app({"HTTP_TRANSFER_ENCODING": "chunked", "PATH_INFO": "/git/x.git"}, None)
    assert "HTTP_TRANSFER_ENCODING" not in seen and seen["PATH_INFO"] == "/git/x.git"


# ---- the receive handler and on_push

class FakeProto:
    def __init__(self, lines=(), fail_after: int | None = None):
        self.lines, self.sent, self.fail_after = list(lines), [], fail_after

    def read_pkt_line(self):
        return self.lines.pop(0) if self.lines else None

    def write_sideband(self, channel, data):
        if self.fail_after is not None and len(self.sent) >= self.fail_after:
            raise OSError("client went away")
        self.sent.append((channel, data))


PUSH = Push("hello", "refs/heads/main", "0" * 40, "a" * 40, "admin")


def handler(repos, proto, on_push, caps=(b"side-band-64k", b"report-status")):
    h = git_server._DeployHandler(git_server._AppBackend(repos, "hello"), ["/git/hello.git"], proto,
                                  stateless_rpc=True, app="hello", user="admin", on_push=on_push)
    h._client_capabilities = set(caps)
    return h


def test_lines_go_out_on_the_progress_channel(repos):
    proto = FakeProto()
    h = handler(repos, proto, lambda push, write: [write("-----> one"), write("two\n")])
    assert h._deploy(PUSH) is None
    assert proto.sent == [(2, b"-----> one\n"), (2, b"two\n")]


def test_rejected_and_broken_deploys_end_with_the_reason(repos):
    def reject(push, write):
        raise Rejected("health check failed:\nweb.1 never answered")

    def crash(push, write):
        raise ValueError("boom")

    proto = FakeProto()
    assert handler(repos, proto, reject)._deploy(PUSH) == \
        "health check failed: web.1 never answered"
    assert proto.sent[-1] == (2, b" !     health check failed: web.1 never answered\n")
    assert handler(repos, proto, crash)._deploy(PUSH) == "deploy failed: ValueError: boom"


def test_a_vanished_client_does_not_interrupt_on_push(repos):
    proto, done = FakeProto(fail_after=1), []
    h = handler(repos, proto, lambda push, write: [write(f"line {n}") for n in range(5)] + [done.append(1)])
    assert h._deploy(PUSH) is None and done == [1] and proto.sent == [(2, b"line 0\n")]


def test_lines_after_on_push_returned_are_dropped(repos):
    proto, writers = FakeProto(), []
    h = handler(repos, proto, lambda push, write: writers.append(write))
    h._deploy(PUSH)
    writers[0]("too late")  # e.g. a thread on_push forgot to join
    assert proto.sent == []


def test_without_side_band_nothing_is_written(repos):
    proto = FakeProto()
    handler(repos, proto, lambda push, write: write("x"), caps=(b"report-status",))._deploy(PUSH)
    assert proto.sent == []


def test_shallow_lines_are_noted_and_skipped(repos):
    proto = FakeProto([b"shallow " + A + b"\n", b"shallow " + B + b"\n", b"cmd\n"])
    h = handler(repos, proto, never)
    assert h.proto.read_pkt_line() == b"cmd\n" and h.shallow
    assert h.proto.read_pkt_line() is None


# ---- the repositories

def test_init_is_idempotent_and_names_are_checked(repos, tmp_path):
    path = repos.init("hello")
    assert repos.init("hello") == path == tmp_path / "repos" / "hello.git"
    assert (path / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert repos.exists("hello") and not repos.exists("ghost") and not repos.exists("../x")
    with pytest.raises(ValueError):
        repos.path("../etc")
    repos.remove("hello")
    assert not repos.exists("hello") and not Path(path).exists()
