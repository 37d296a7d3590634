"""Git over smart HTTP with dulwich, and the apps' bare repositories: the only dulwich importer.

It authenticates, maps `/git/<app>.git` to that app's repository (and nothing else), and on a
push to main/master hands the new commit to an injected `on_push` callback *before* the ref
moves, streaming the callback's lines to the client as `remote:` lines while it runs. If the
callback raises `Rejected`, git prints `! [remote rejected] main -> main (reason)` and the ref
stays where it was. It knows nothing of builds or deploys.
"""
from __future__ import annotations

import base64
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from dulwich.archive import tar_stream
from dulwich.errors import NotGitRepository
from dulwich.protocol import SIDE_BAND_CHANNEL_PROGRESS, pkt_line
from dulwich.repo import Repo
from dulwich.server import Backend, ReceivePackHandler
from dulwich.web import make_wsgi_chain

ZERO_SHA = b"0" * 40
DEPLOY_REFS = (b"refs/heads/main", b"refs/heads/master")
_PATH_RE = re.compile(r"^/git/([^/]+)\.git(/.*)?$")
_APP_RE = re.compile(r"[a-z][a-z0-9-]{0,29}")


@dataclass(frozen=True)
class Push:
    app: str
    ref: str
    old_sha: str
    new_sha: str
    user: str


class Rejected(Exception):
    """Raised by on_push: the ref is rejected with this one-line reason."""


class GitRepos:
    """The apps' bare repositories under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, app: str) -> Path:
        if not _APP_RE.fullmatch(app):
            raise ValueError(f"not an app name: {app!r}")
        return self.root / f"{app}.git"

    def exists(self, app: str) -> bool:
        return _APP_RE.fullmatch(app) is not None and (self.path(app) / "HEAD").is_file()

    def init(self, app: str) -> Path:
        path = self.path(app)
        if not self.exists(app):
            path.mkdir(parents=True, exist_ok=True)
            Repo.init_bare(str(path), default_branch=b"main").close()
        return path

    def remove(self, app: str) -> None:
        shutil.rmtree(self.path(app), ignore_errors=True)

    def archive(self, app: str, sha: str) -> Iterator[bytes]:
        """A tar of the commit's tree, every path under `app/`."""
        repo = Repo(str(self.path(app)))
        try:
            commit = repo[sha.encode()]
            yield from tar_stream(repo.object_store, repo[commit.tree], int(commit.commit_time),
                                  prefix=b"app")
        finally:
            repo.close()


class _AppBackend(Backend):
    """Resolves exactly `/git/<app>.git` to that app's repository, nothing else."""

    def __init__(self, repos: GitRepos) -> None:
        self.repos = repos
        self.opened: list[Repo] = []

    def open_repository(self, path):
        text = path.decode() if isinstance(path, bytes) else path
        match = _PATH_RE.match(text)
        if not match or not self.repos.exists(match.group(1)):
            raise NotGitRepository(f"no such app: {text}")
        repo = Repo(str(self.repos.path(match.group(1))))
        self.opened.append(repo)
        return repo

    def close(self) -> None:
        for repo in self.opened:
            repo.close()
        self.opened.clear()


def _pkt(text: str) -> bytes:
    return pkt_line(text.encode())


def make_git_app(repos: GitRepos, authenticate: Callable[[str, str], str | None],
                 on_push: Callable[[Push, Callable[[str], None]], None]):
    """The WSGI app for PATH_INFO `/git/<app>.git/...`. `authenticate(user, password)` returns
    who is pushing (the token's name) or None."""

    def handler_for(user: str, app: str):
        class DeployOnPush(ReceivePackHandler):
            def _on_update(self, ref_name, old_sha, new_sha):
                return _on_update(self, user, app, ref_name, old_sha, new_sha, on_push)
        return DeployOnPush

    def application(environ, start_response):
        user = _basic_user(environ, authenticate)
        if user is None:
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="paas"'),
                                                 ("Content-Type", "text/plain")])
            return [b"authentication required: use your paas API token as the password\n"]
        match = _PATH_RE.match(environ.get("PATH_INFO", ""))
        app = match.group(1) if match else ""
        if not repos.exists(app):
            return _no_such_app(environ, start_response, app or environ.get("PATH_INFO", ""))
        # gunicorn has already undone the chunked encoding; dulwich would try again and fail.
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        backend = _AppBackend(repos)
        chain = make_wsgi_chain(backend, handlers={b"git-receive-pack": handler_for(user, app)})
        return _closing(chain(environ, start_response), backend)

    return application


def _on_update(handler, user: str, app: str, ref_name: bytes, old_sha: bytes, new_sha: bytes,
               on_push) -> bytes | None:
    def write_line(line: str) -> None:
        handler.proto.write_sideband(SIDE_BAND_CHANNEL_PROGRESS, (line + "\n").encode())

    if ref_name not in DEPLOY_REFS:
        branch = ref_name.decode(errors="replace")
        short = branch.removeprefix("refs/heads/")
        reason = f"only main or master deploys (pushed {branch}); try: git push paas {short}:main"
    elif new_sha == ZERO_SHA:
        reason = "deleting the deploy branch is not supported"
    else:
        push = Push(app, ref_name.decode(), old_sha.decode(), new_sha.decode(), user)
        try:
            on_push(push, write_line)
            return None
        except Rejected as exc:
            reason = str(exc)
        except Exception as exc:  # the push must get an answer whatever broke
            reason = f"deploy failed: {type(exc).__name__}: {exc}"
    reason = " ".join(reason.split())
    write_line(f" !     {reason}")
    return reason.encode()


def _basic_user(environ, authenticate) -> str | None:
    scheme, _, encoded = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return authenticate(user, password)


def _no_such_app(environ, start_response, name: str):
    # An `ERR` packet after the service announcement is what makes git show our words
    # (`fatal: remote error: ...`) instead of a bare "repository not found".
    service = (environ.get("QUERY_STRING", "").partition("service=")[2].split("&")[0]
               or "git-receive-pack")
    if service not in ("git-receive-pack", "git-upload-pack"):
        service = "git-receive-pack"
    start_response("200 OK", [("Content-Type", f"application/x-{service}-advertisement"),
                              ("Cache-Control", "no-cache")])
    return [_pkt(f"# service={service}\n") + b"0000" + _pkt(f"ERR no such app: {name}")]


def _closing(body, backend: _AppBackend):
    try:
        yield from body
    finally:
        backend.close()
