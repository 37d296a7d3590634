"""Resource limits: `memory=512m cpus=0.5 pids=256`, per app and per process type."""
from __future__ import annotations

import re

from paas.errors import InvalidInput

MEMORY_RE = re.compile(r"[1-9][0-9]{0,6}[kmg]?", re.IGNORECASE)
KEYS = ("memory", "cpus", "pids")
DEFAULTS = {"pids": "1024"}  # a fork bomb in one app must not starve the host
DEFAULT_MEMORY = "512m"  # PAAS_DEFAULT_MEMORY: no container runs without a memory limit
MAX_APP_CONTAINERS = 100  # the containers one app's formation may ask for, all types together
MAX_PLATFORM_CONTAINERS = 1000  # process containers of the whole platform


def validate(key: str, value: str) -> str:
    if key not in KEYS:
        raise InvalidInput(f"unknown resource {key!r}: use {', '.join(KEYS)}")
    if key == "memory":
        ok = bool(MEMORY_RE.fullmatch(value)) and memory_bytes(value) >= 6 * 1024 * 1024
        hint = "a size of at least 6m, e.g. 512m or 1g"
    elif key == "cpus":
        ok = bool(re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,3})?", value)) and 0 < float(value) <= 256
        hint = "a number of CPUs, e.g. 0.5 or 2"
    else:
        ok = bool(re.fullmatch(r"[1-9][0-9]{1,6}", value))
        hint = "a whole number of at least 10, e.g. 256"
    if not ok:
        raise InvalidInput(f"invalid {key} {value!r}: use {hint}")
    return value.lower()


def memory_bytes(value: str) -> int:
    units = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
    unit = value[-1].lower()
    return int(value[:-1]) * units[unit] if unit in units else int(value)


def parse(args: list[str]) -> dict[str, str]:
    out = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep:
            raise InvalidInput(f"{arg[:40]!r} is not KEY=VALUE (e.g. memory=512m)")
        out[key] = validate(key, value)
    return out


def effective(limits: dict[str, dict[str, str]], process: str,
              defaults: dict[str, str] | None = None) -> dict[str, str]:
    """Platform defaults (`defaults`: the settings' default memory), then the app's defaults
    ('*'), then the process type's own."""
    return {**DEFAULTS, **(defaults or {}), **limits.get("*", {}), **limits.get(process, {})}


def check_app_containers(app: str, formation: dict[str, int], runnable: set[str]) -> None:
    """A clear error when a formation asks for more containers than one app may run."""
    total = sum(n for process, n in formation.items() if process in runnable)
    if total > MAX_APP_CONTAINERS:
        raise InvalidInput(f"{app} would run {total} containers; an app may run at most "
                           f"{MAX_APP_CONTAINERS} (all process types together): scale down")


def docker_args(resources: dict[str, str]) -> dict:
    args: dict = {}
    if "memory" in resources:
        args["mem_limit"] = resources["memory"]
        args["memswap_limit"] = resources["memory"]  # no swap beyond the limit: OOM is visible
    if "cpus" in resources:
        args["nano_cpus"] = int(float(resources["cpus"]) * 1_000_000_000)
    if "pids" in resources:
        args["pids_limit"] = int(resources["pids"])
    return args
