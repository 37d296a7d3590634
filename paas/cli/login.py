"""Where the CLI keeps its login: the API URL and token, from the environment or the file
`paas login` wrote. Standard library only, so that git's credential helper, which reads it
twice per push, starts in a fraction of the full CLI's time."""
from __future__ import annotations

import json
from pathlib import Path


class LoginError(Exception):
    """The login is missing or unreadable; the message says what to do."""


def config_path(env: dict[str, str]) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "paas" / "config.json"


def read_login(env: dict[str, str]) -> tuple[str | None, str | None]:
    """The API URL and token: the environment's, else what `paas login` saved."""
    saved: dict = {}
    path = config_path(env)
    if path.is_file():
        try:
            saved = json.loads(path.read_text())
        except ValueError:
            raise LoginError(f"{path} is not JSON: run 'paas login' again") from None
    url = env.get("PAAS_API_URL") or saved.get("api_url")
    return (url.rstrip("/") if url else None), env.get("PAAS_TOKEN") or saved.get("token")


def load_login(env: dict[str, str]) -> tuple[str, str]:
    url, token = read_login(env)
    if not url or not token:
        raise LoginError("not logged in: run 'paas login --api-url URL --token TOKEN' "
                         "or set PAAS_API_URL and PAAS_TOKEN")
    return url, token


def save_login(env: dict[str, str], api_url: str, token: str) -> Path:
    path = config_path(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps({"api_url": api_url.rstrip("/"), "token": token}))
    return path
