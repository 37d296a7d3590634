"""A WSGI app for the git server tests, run under gunicorn: the real adapter, a scripted on_push.

gunicorn runs it in another process, so the test steers on_push through files in $GIT_TEST_ROOT:
`wait` makes it hold after its first line until `gate` exists, `reject` makes it raise Rejected,
`crash` makes it raise RuntimeError, `chatty` makes it write 200 more lines (5 ms apart) after the
gate. Every push is appended to pushes.jsonl when on_push starts, and to finished.jsonl if
on_push returns.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from pathlib import Path

from paas.adapters.git_server import GitRepos, Rejected, make_git_app

TOKEN = "s3cret-token"


def make():
    root = Path(os.environ["GIT_TEST_ROOT"])

    def authenticate(_user: str, password: str) -> str | None:
        return "admin" if password == TOKEN else None

    def record(name: str, push) -> None:
        with (root / name).open("a") as fh:
            fh.write(json.dumps(asdict(push)) + "\n")

    def on_push(push, write_line) -> None:
        record("pushes.jsonl", push)
        write_line("-----> step one")
        if (root / "wait").exists():
            deadline = time.monotonic() + 60
            while not (root / "gate").exists() and time.monotonic() < deadline:
                time.sleep(0.02)
        if (root / "chatty").exists():
            for n in range(200):
                write_line(f"       line {n}")
                time.sleep(0.005)
        if (root / "reject").exists():
            raise Rejected("build failed: rejected on purpose")
        if (root / "crash").exists():
            raise RuntimeError("disk on\nfire")
        write_line("-----> done")
        record("finished.jsonl", push)

    return make_git_app(GitRepos(root / "repos"), authenticate, on_push)
