"""Git over smart HTTP with dulwich, and the apps' bare repositories: the only dulwich importer.

It owns the protocol and the repositories, nothing about deploys. `make_git_app` authenticates
every request (HTTP Basic, the API token as password), maps exactly `/git/<app>.git` to that
app's repository, and on a push to main or master calls the injected `on_push` after the pack is
stored and *before* the ref moves, streaming the lines it writes to the client as `remote:`
lines. If `on_push` raises, the ref is rejected (`! [remote rejected] main -> main (reason)`)
and stays where it was. Other branches, tags, deleting main, shallow pushes and atomic pushes
that mix refs are refused up front, with a reason git shows; pushes to one app take turns.
`GitRepos` creates, removes and archives the bare repositories.
"""
from __future__ import annotations

import base64
import binascii
import io
import logging
import os
import re
import shutil
import stat
import tarfile
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator

from dulwich.errors import GitProtocolError, NotGitRepository
from dulwich.objects import S_ISGITLINK, Tree
from dulwich.protocol import (CAPABILITY_ATOMIC, CAPABILITY_SIDE_BAND_64K,
                              SIDE_BAND_CHANNEL_PROGRESS, pkt_line)
from dulwich.repo import Repo
from dulwich.server import Backend, ReceivePackHandler
from dulwich.web import make_wsgi_chain

from paas.domain.names import APP_NAME_RE as _APP_RE

log = logging.getLogger("paas.git")

ZERO_SHA = b"0" * 40
DEPLOY_REFS = (b"refs/heads/main", b"refs/heads/master")
SERVICES = ("git-upload-pack", "git-receive-pack")
_URL_RE = re.compile(r"/git/(?P<app>[^/]*)\.git(?P<rest>/info/refs|/git-(upload|receive)-pack)")
MAX_REASON = 400  # the reason rides in one pkt-line of the status report
MOVED = "not deployed: the branch moved while this push waited; fetch and push again"


@dataclass(frozen=True)
class Push:
    app: str
    ref: str      # refs/heads/main or refs/heads/master
    old_sha: str  # 40 hex digits, zeros when the branch is new
    new_sha: str
    user: str     # who pushed, as `authenticate` named them


class Rejected(Exception):
    """Raised by on_push: the ref is rejected with this one-line reason."""


class GitRepos:
    """The apps' bare repositories, `<root>/<app>.git`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, app: str) -> Path:
        if not _APP_RE.fullmatch(app):
            raise ValueError(f"not an app name: {app!r}")
        return self.root / f"{app}.git"

    def exists(self, app: str) -> bool:
        return _APP_RE.fullmatch(app) is not None and (self.path(app) / "HEAD").is_file()

    def init(self, app: str) -> Path:
        """Create the bare repository unless it exists; its HEAD names main."""
        path = self.path(app)
        if not self.exists(app):
            path.mkdir(parents=True, exist_ok=True)
            Repo.init_bare(str(path), default_branch=b"main").close()
        return path

    def remove(self, app: str) -> None:
        shutil.rmtree(self.path(app), ignore_errors=True)

    def head(self, app: str) -> str | None:
        """The commit HEAD names: a push that deploys points HEAD at its branch, so this is
        what was last deployed by a push; None before the first."""
        if not self.exists(app):
            return None
        repo = Repo(str(self.path(app)))
        try:
            return repo.refs[b"HEAD"].decode()
        except KeyError:  # HEAD names a branch nobody has pushed yet
            return None
        finally:
            repo.close()

    def archive(self, app: str, sha: str) -> Iterator[bytes]:
        """A tar of the commit's tree under `app/`: executable bits and symlinks kept,
        submodules left out. (dulwich.archive.tar_stream turns symlinks into mode-000 files and
        refuses names with ':' or '\\', which are fine on Linux.)"""
        repo = Repo(str(self.path(app)))
        try:
            commit = repo[sha.encode()]
            yield from _tar_tree(repo.object_store, repo[commit.tree], b"app", commit.commit_time)
        finally:
            repo.close()


def _tar_tree(store, tree: Tree, prefix: bytes, mtime: int) -> Iterator[bytes]:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for path, mode, sha in _walk(store, tree, prefix):
            info = tarfile.TarInfo(path.decode("utf-8", "surrogateescape"))
            info.mtime = mtime
            data = store[sha].as_raw_string()
            if stat.S_ISLNK(mode):
                info.type, info.mode = tarfile.SYMTYPE, 0o777
                info.linkname = data.decode("utf-8", "surrogateescape")
                tar.addfile(info)
            else:
                info.mode, info.size = (0o755 if mode & 0o100 else 0o644), len(data)
                tar.addfile(info, io.BytesIO(data))
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _walk(store, tree: Tree, prefix: bytes) -> Iterator[tuple[bytes, int, bytes]]:
    for name, mode, sha in tree.iteritems():
        if name.lower() in (b"", b".", b"..", b".git") or b"/" in name or b"\0" in name:
            raise ValueError(f"unsafe path in the pushed tree: {prefix + b'/' + name!r}")
        if stat.S_ISDIR(mode):
            yield from _walk(store, store[sha], prefix + b"/" + name)
        elif not S_ISGITLINK(mode):
            yield prefix + b"/" + name, mode, sha


def refusal(ref: bytes, new_sha: bytes) -> str | None:
    """Why this ref update is refused, or None when it deploys."""
    name = ref.decode(errors="replace")
    if ref in DEPLOY_REFS:
        branch = name.removeprefix("refs/heads/")
        return f"deleting {branch} is not supported" if new_sha == ZERO_SHA else None
    hint = ""
    if name.startswith("refs/heads/"):
        hint = f"; try: git push paas {name.removeprefix('refs/heads/')}:main"
    elif name.startswith("refs/tags/"):
        tag = name.removeprefix("refs/tags/")
        hint = f"; try: git push paas {tag}^{{commit}}:refs/heads/main"
    return f"only main or master deploys (pushed {name}){hint}"


def refusals(commands: Iterable[tuple[bytes, bytes, bytes]], *, shallow: bool,
             atomic: bool) -> dict[bytes, str | None]:
    """`refusal` for each (old, new, ref) of one push, seen together: at most one deploy per push,
    and an atomic push that will fail anyway deploys nothing."""
    reasons = {ref: refusal(ref, new) for _old, new, ref in commands}
    if shallow:
        return dict.fromkeys(reasons, "shallow pushes are not supported; "
                                      "run: git fetch --unshallow, then push again")
    deploys = [ref for ref, reason in reasons.items() if reason is None]
    if len(deploys) > 1:
        reasons.update(dict.fromkeys(deploys, "push main or master, not both at once"))
    elif deploys and atomic and len(reasons) > 1:
        reasons[deploys[0]] = "not deployed: another ref of this atomic push was refused"
    return reasons


class _AppBackend(Backend):
    """Opens `/git/<app>.git` for one request's app, nothing else; closes what it opened."""

    def __init__(self, repos: GitRepos, app: str) -> None:
        self.repos, self.app = repos, app
        self.opened: list[Repo] = []

    def open_repository(self, path):
        if path not in (f"/git/{self.app}.git", f"/git/{self.app}.git".encode()):
            raise NotGitRepository(f"no such app: {path!r}")
        repo = Repo(str(self.repos.path(self.app)))
        self.opened.append(repo)
        return repo

    def close(self) -> None:
        for repo in self.opened:
            repo.close()
        self.opened.clear()


_deploy_locks: dict[str, threading.Lock] = {}  # per repository: one process serves git
_deploy_locks_guard = threading.Lock()


def _deploy_lock(repo_path: str) -> threading.Lock:
    with _deploy_locks_guard:
        return _deploy_locks.setdefault(repo_path, threading.Lock())


class _DeployHandler(ReceivePackHandler):
    """receive-pack whose update step (pack stored, ref not yet moved) runs the deploy.

    Deploys of one app take turns, each holding its turn until its ref is written, so a push
    that waited behind another is checked against the ref as it now is: what a branch names is
    what was deployed from it."""

    def __init__(self, backend, args, proto, stateless_rpc=False, advertise_refs=False, *,
                 app: str, user: str, on_push, max_push: int | None = None) -> None:
        super().__init__(backend, args, proto, stateless_rpc=stateless_rpc,
                         advertise_refs=advertise_refs)
        self.app, self.user, self.on_push, self.max_push = app, user, on_push, max_push
        self.shallow, self.reasons, self._turn = False, {}, None
        self._live, self._write_lock = False, threading.Lock()
        # dulwich takes "shallow <sha>" lines (sent before the commands by a shallow clone) for
        # malformed commands and answers 500; note them instead, and refuse the refs below.
        read_pkt_line = proto.read_pkt_line

        def read_skipping_shallow():
            line = read_pkt_line()
            while line is not None and line.startswith(b"shallow "):
                self.shallow = True
                line = read_pkt_line()
            return line
        proto.read_pkt_line = read_skipping_shallow

    def _receive_max_input_size(self):
        return self.max_push  # dulwich stops reading the pack past it (PackInputTooLarge)

    def _apply_pack(self, refs):
        self.reasons = refusals(refs, shallow=self.shallow,
                                atomic=self.has_capability(CAPABILITY_ATOMIC))
        # The whole receive takes its turn (not only the deploy), so the files a refused push
        # added to the object store are its own, and can be removed.
        self._turn = _deploy_lock(self.repo.path)
        self._turn.acquire()
        before = _object_files(self.repo.path)
        accepted = False
        try:
            # stores the pack, then _on_update, ref by ref
            for ref, status in super()._apply_pack(refs):
                if ref == b"unpack" and b"maximum input size" in status:
                    status = (f"push is over the limit of {_size(self.max_push)} "
                              "(PAAS_MAX_PUSH); nothing was kept").encode()
                accepted = accepted or (ref != b"unpack" and status == b"ok")
                yield ref, status
        finally:
            if not accepted:  # refused or failed: its objects do not stay on disk
                _remove_new_objects(self.repo.path, before)
            self._turn.release()

    def _on_update(self, ref_name, old_sha, new_sha):
        reason = self.reasons.get(ref_name, refusal(ref_name, new_sha))
        if reason is None:  # refusals() lets one ref per push get here, in its turn
            if self.repo.get_refs().get(ref_name, ZERO_SHA) != old_sha:
                return MOVED.encode()
            reason = self._deploy(Push(self.app, ref_name.decode(), old_sha.decode(),
                                       new_sha.decode(), self.user))
            if reason is None:
                self.repo.refs.set_symbolic_ref(b"HEAD", ref_name)  # clones get what runs
                return None
        return " ".join(reason.split())[:MAX_REASON].encode()

    def _deploy(self, push: Push) -> str | None:
        self._live, reason = True, None
        try:
            self.on_push(push, self.write_line)
        except Rejected as exc:
            reason = " ".join(str(exc).split()) or "push rejected"
        except Exception as exc:  # the push must get an answer whatever broke
            log.exception("on_push failed for %s %s", push.app, push.new_sha)
            reason = f"deploy failed: {type(exc).__name__}: {' '.join(str(exc).split())}"
        if reason:
            self.write_line(f" !     {reason}")  # DESIGN: the reason is the last remote: line
        with self._write_lock:
            self._live = False  # a straggling thread must not write into the status report
        return reason

    def write_line(self, line: str) -> None:
        """One `remote:` line, sent now. Dropped once the client is gone, so that a closed
        terminal does not break a deploy half way; ignored after on_push has returned."""
        with self._write_lock:
            if not self._live or not self.has_capability(CAPABILITY_SIDE_BAND_64K):
                return
            try:
                self.proto.write_sideband(SIDE_BAND_CHANNEL_PROGRESS,
                                          (line.rstrip("\n") + "\n").encode(errors="replace"))
            except (OSError, GitProtocolError):
                self._live = False


def _object_files(repo_path: str) -> set[str]:
    found = set()
    for dirpath, _dirs, files in os.walk(os.path.join(repo_path, "objects")):
        found.update(os.path.join(dirpath, name) for name in files)
    return found


def _remove_new_objects(repo_path: str, before: set[str]) -> None:
    for path in _object_files(repo_path) - before:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def _size(limit: int | None) -> str:
    if not limit:
        return "unlimited"
    for unit, size in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if limit >= size:
            return f"{limit / size:g} {unit}"
    return f"{limit} bytes"


def make_git_app(repos: GitRepos, authenticate: Callable[[str, str], str | None],
                 on_push: Callable[[Push, Callable[[str], None]], None],
                 authorize: Callable[[str, str], bool] = lambda user, app: True,
                 max_push: int | None = None):
    """The WSGI app for PATH_INFO `/git/<app>.git/...`. `authenticate(user, password)` returns
    who is pushing (e.g. the token's name) or None; `authorize(user, app)` says whether they may
    clone or push that app (if not, they hear "no such app", as for one that does not exist);
    `on_push(push, write_line)` deploys. A push whose pack is over `max_push` bytes is refused;
    the objects of a push that moves no ref are removed."""

    def application(environ, start_response):
        user = basic_user(environ.get("HTTP_AUTHORIZATION", ""), authenticate)
        if user is None:
            return _plain(start_response, "401 Unauthorized",
                          "authentication required: use your paas API token as the password",
                          [("WWW-Authenticate", 'Basic realm="paas"')])
        match = _URL_RE.fullmatch(environ.get("PATH_INFO", ""))
        if not match:
            return _plain(start_response, "404 Not Found",
                          "not a git URL: use /git/<app>.git with a git client")
        app, service = match["app"], _service(environ, match["rest"])
        if service is None:
            return _plain(start_response, "403 Forbidden", "only git's smart HTTP is served")
        if not repos.exists(app) or not authorize(user, app):
            return _no_such_app(start_response, app, service, match["rest"] == "/info/refs")
        backend = _AppBackend(repos, app)
        handler = partial(_DeployHandler, app=app, user=user, on_push=on_push, max_push=max_push)
        chain = make_wsgi_chain(backend, handlers={b"git-receive-pack": handler})
        return _ClosingBody(chain(environ, start_response), backend.close)

    return without_transfer_encoding(application)


def without_transfer_encoding(app):
    """gunicorn (and werkzeug) hand WSGI apps the body already de-chunked, but dulwich de-chunks
    again whenever `Transfer-Encoding: chunked` is set, which git uses for bodies over 1 MiB.
    Without the header dulwich reads wsgi.input to its end, as WSGI servers allow."""

    def middleware(environ, start_response):
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return app(environ, start_response)

    return middleware


def basic_user(header: str, authenticate: Callable[[str, str], str | None]) -> str | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return authenticate(user, password) if colon else None


def _service(environ, rest: str) -> str | None:
    if rest != "/info/refs":
        return rest.lstrip("/")
    query = dict(p.partition("=")[::2] for p in environ.get("QUERY_STRING", "").split("&"))
    return query.get("service") if query.get("service") in SERVICES else None


def _no_such_app(start_response, app: str, service: str, advertising: bool):
    message = f"no such app: {re.sub(r'[^!-~]', '?', app)[:60]}"
    if not advertising:
        return _plain(start_response, "404 Not Found", message)
    # An ERR packet after the service announcement is what makes git show our words
    # (`fatal: remote error: no such app: x`) instead of its own "repository not found".
    start_response("200 OK", [("Content-Type", f"application/x-{service}-advertisement"),
                              ("Cache-Control", "no-cache")])
    return [pkt_line(f"# service={service}\n".encode()), b"0000",
            pkt_line(f"ERR {message}".encode())]


def _plain(start_response, status: str, text: str, headers=()):
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), *headers])
    return [text.encode() + b"\n"]


class _ClosingBody:
    """The response body; closing it (WSGI servers always do) closes the request's repos."""

    def __init__(self, body: Iterable[bytes], on_close: Callable[[], None]) -> None:
        self.body, self.on_close = body, on_close

    def __iter__(self):
        return iter(self.body)

    def close(self) -> None:
        try:
            getattr(self.body, "close", lambda: None)()
        finally:
            self.on_close()
