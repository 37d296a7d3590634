"""A WSGI app for the git server tests, run under gunicorn: the real adapter, a scripted on_push.

Controlled through files in $GIT_TEST_ROOT: `wait` makes on_push hold until `gate` exists,
`reject` makes it reject; every push is appended to pushes.jsonl.
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

    def on_push(push, write_line) -> None:
        with (root / "pushes.jsonl").open("a") as fh:
            fh.write(json.dumps(asdict(push)) + "\n")
        write_line("-----> step one")
        if (root / "wait").exists():
            deadline = time.monotonic() + 60
            while not (root / "gate").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        if (root / "reject").exists():
            raise Rejected("build failed: rejected on purpose")
        write_line("-----> done")

    return make_git_app(GitRepos(root / "repos"), authenticate, on_push)
