"""git's credential helper for paas remotes (`git:remote` configures it): answers `get` with
the saved token, as user `paas`. git runs a helper on every push that needs a password, and
again to `store` it afterwards, so this starts with nothing but the standard library and the
login file; the whole CLI would add about a tenth of a second to each run."""
from __future__ import annotations

import os
import sys

from paas.cli.login import LoginError, load_login


def answer(operation: str, env: dict[str, str]) -> str:
    """What to print for git's `operation` (get, store, erase): only `get` has an answer."""
    if operation != "get":
        return ""
    _, token = load_login(env)
    return f"username=paas\npassword={token}\n"


def main(argv: list[str], env: dict[str, str] | None = None) -> int:
    try:
        sys.stdin.read()  # git's request; drained so that git never sees EPIPE
    except OSError:
        pass
    try:
        sys.stdout.write(answer(argv[0] if argv else "", dict(os.environ if env is None else env)))
    except LoginError as exc:
        print(f"paas: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
