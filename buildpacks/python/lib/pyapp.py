"""What the python buildpack decides about an app, as pure functions over its files, plus a
small CLI for bin/compile and bin/release (run with the stack's Python: stdlib only).

Decides: whether the stack's Python satisfies `.python-version` / `runtime.txt`, which package
manager installs the dependencies, the requirement lines of a `pyproject.toml` or a
`Pipfile.lock` (dependencies only: the app's own code stays in /app, so a push that changes only
code never leaves a stale copy of it in the virtualenv), and the `web` process that can be
inferred honestly (Django's manage.py + <project>/wsgi.py + gunicorn), if any.

    python3 pyapp.py version BUILD_DIR     -> a line saying what was asked, or exit 1 and why
    python3 pyapp.py manager BUILD_DIR     -> "<manager> <file>" then notes, or exit 1 and why
    python3 pyapp.py requirements FILE     -> requirement lines of pyproject.toml / Pipfile.lock
    python3 pyapp.py web BUILD_DIR         -> the inferred web command, or nothing
    python3 pyapp.py release BUILD_DIR     -> bin/release's YAML, or exit 1 and why
"""
from __future__ import annotations

import json
import platform
import re
import sys
import tomllib
from pathlib import Path

VENV = ".heroku/python"
VERSION_RE = re.compile(r"(?:python-)?(\d+)\.(\d+)(?:\.(\d+))?")
SETTINGS_RE = re.compile(r"""DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([A-Za-z_][\w.]*)['"]""")
PYPI_HOSTS = ("https://pypi.org/", "https://pypi.python.org/")


class AppError(Exception):
    """The app asks for something this buildpack cannot do; the message says what to change."""


def python_request(build_dir: Path) -> tuple[str, str] | None:
    """(file, requested version) from `.python-version` (first non-comment line), else
    `runtime.txt`; None when the app asks for nothing."""
    for name in (".python-version", "runtime.txt"):
        path = build_dir / name
        if path.is_file():
            lines = [l.strip() for l in path.read_text(errors="replace").splitlines()]
            lines = [l for l in lines if l and not l.startswith("#")]
            return name, lines[0] if lines else ""
    return None


def check_version(source: str, requested: str, stack: str) -> str:
    """How the stack's Python (`stack`, e.g. "3.13.5") answers a request; raises AppError when
    it cannot. As on Heroku, "3.13" means the newest 3.13 (the stack's); an exact "3.13.2" is
    honoured only if the stack has exactly that."""
    major, minor, _ = stack.split(".", 2)
    offer = f"this stack offers Python {stack} only"
    match = VERSION_RE.fullmatch(requested)
    if not match:
        raise AppError(f"Could not read the Python version in {source} ({requested!r}): write a "
                       f"version such as {major}.{minor}; {offer}.")
    asked = requested.removeprefix("python-")
    if (match.group(1), match.group(2)) != (major, minor):
        raise AppError(f"Python {asked} was requested in {source}, but {offer}: ask for "
                       f"{major}.{minor} there, or remove the file to use it.")
    if match.group(3) is not None and asked != stack:
        raise AppError(f"Python {asked} was requested in {source}, but {offer}: ask for "
                       f"{major}.{minor} there to use the newest {major}.{minor} the stack has.")
    return f"{asked} in {source}"


def choose_manager(names: set[str]) -> tuple[str, str, list[str]]:
    """(manager, the file it installs from, notes) for the files at the app's root, in order:
    uv.lock (with pyproject.toml), Pipfile.lock, requirements.txt, pyproject.toml."""
    if "uv.lock" in names:
        if "pyproject.toml" not in names:
            raise AppError("uv.lock was found without pyproject.toml: commit the pyproject.toml "
                           "it was locked from.")
        chosen = ("uv", "uv.lock")
    elif "Pipfile.lock" in names:
        chosen = ("pipfile", "Pipfile.lock")
    elif "requirements.txt" in names:
        chosen = ("pip", "requirements.txt")
    elif "Pipfile" in names:
        raise AppError("A Pipfile without Pipfile.lock is not supported: run 'pipenv lock' and "
                       "commit Pipfile.lock (or 'pipenv requirements > requirements.txt').")
    elif "pyproject.toml" in names:
        chosen = ("pyproject", "pyproject.toml")
    elif "setup.py" in names:
        raise AppError("setup.py alone is not supported: paas installs an app's dependencies, "
                       "not the app itself (its code stays in /app); list them in "
                       "requirements.txt or in pyproject.toml's [project].dependencies.")
    else:
        raise AppError("No requirements.txt, pyproject.toml or Pipfile.lock was found.")
    others = [n for n in ("uv.lock", "Pipfile.lock", "requirements.txt")
              if n in names and n != chosen[1]]
    notes = [f"{n} is also present and ignored: {chosen[1]} decides" for n in others]
    return chosen[0], chosen[1], notes


def requirements_warnings(text: str) -> list[str]:
    """What in a requirements.txt a code-only push would not refresh: other files it includes
    (only requirements.txt's own contents key the dependency layer) and the app itself."""
    warnings = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and words[0] in ("-r", "--requirement", "-c", "--constraint"):
            warnings.append(f"requirements.txt includes {words[1]}: a push that changes only that "
                            "file reuses the installed dependencies; change requirements.txt too.")
        elif words[-1:] in (["."], ["./"]):
            warnings.append(f"requirements.txt installs the app itself ({' '.join(words)}): what "
                            "pip keeps of it is refreshed only when requirements.txt changes; "
                            "list only the dependencies (the code runs from /app).")
    return warnings


def pyproject_requirements(text: str) -> list[str]:
    """[project].dependencies (PEP 621). The project itself is not installed (see the module
    docstring); its optional dependencies (extras) are not installed either."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AppError(f"pyproject.toml is not valid TOML: {exc}") from None
    project = data.get("project")
    if not isinstance(project, dict):
        poetry = " (Poetry's [tool.poetry] format is not supported)" if "poetry" in data.get(
            "tool", {}) else ""
        raise AppError("pyproject.toml has no [project] table, so its dependencies are unknown"
                       f"{poetry}: declare [project].dependencies, or add requirements.txt.")
    if "dependencies" in project.get("dynamic", []):
        raise AppError("pyproject.toml declares its dependencies dynamic: paas reads only a "
                       "static [project].dependencies list (it does not install the project "
                       "itself); list them there or in requirements.txt.")
    deps = project.get("dependencies", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise AppError("pyproject.toml: [project].dependencies must be a list of strings.")
    return [d.strip() for d in deps]


def pipfile_requirements(text: str) -> tuple[list[str], list[str]]:
    """(requirement lines, notes) for the `default` section of a Pipfile.lock: pinned versions,
    with their hashes when every package has some (pip then checks them all)."""
    try:
        lock = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AppError(f"Pipfile.lock is not valid JSON: {exc}") from None
    default = lock.get("default") if isinstance(lock, dict) else None
    if not isinstance(default, dict):
        raise AppError("Pipfile.lock has no 'default' section: run 'pipenv lock' again.")
    entries, notes, unhashed = [], [], []
    for name, spec in sorted(default.items()):
        spec = spec if isinstance(spec, dict) else {"version": str(spec)}
        line = _pipfile_line(name, spec)
        if line is None:
            notes.append(f"{name} is the app itself ({spec.get('path')}): it runs from /app, "
                         "not installed")
            continue
        hashes = spec.get("hashes") or []
        if not hashes:
            unhashed.append(name)
        entries.append((line, hashes))
    if unhashed and len(unhashed) < len(entries):
        notes.append("hashes not checked: " + ", ".join(unhashed) + " has none in Pipfile.lock")
    hashed = not unhashed
    lines = _index_lines(lock.get("_meta", {}).get("sources", []))
    for line, hashes in entries:
        lines.append(line + "".join(f" --hash={h}" for h in hashes) if hashed else line)
    return lines, notes


def _pipfile_line(name: str, spec: dict) -> str | None:
    extras = spec.get("extras") or []
    full = name + (f"[{','.join(extras)}]" if extras else "")
    markers = f" ; {spec['markers']}" if spec.get("markers") else ""
    if "path" in spec:
        if spec["path"].rstrip("/") in (".", ""):
            return None
        raise AppError(f"Pipfile.lock: {name} is a local path ({spec['path']}); paas installs "
                       "only packages from an index or a URL, the app's code stays in /app.")
    if "git" in spec:
        ref = f"@{spec['ref']}" if spec.get("ref") else ""
        sub = f"#subdirectory={spec['subdirectory']}" if spec.get("subdirectory") else ""
        url = spec["git"] if spec["git"].startswith("git+") else "git+" + spec["git"]
        return f"{full} @ {url}{ref}{sub}{markers}"
    if "file" in spec:
        return f"{full} @ {spec['file']}{markers}"
    version = spec.get("version", "")
    return f"{full}{'' if version in ('', '*') else version}{markers}"


def _index_lines(sources: list) -> list[str]:
    """The lock's package indexes, when not PyPI (pip's own default stays in force otherwise)."""
    urls = [s.get("url", "") for s in sources if isinstance(s, dict)]
    others = [u for u in urls if u and not u.startswith(PYPI_HOSTS)]
    if not others:
        return []
    first = "--index-url" if urls and urls[0] == others[0] else "--extra-index-url"
    return [f"{first} {others[0]}"] + [f"--extra-index-url {u}" for u in others[1:]]


def django_project(build_dir: Path) -> str | None:
    """The Django project package with a wsgi.py: the one manage.py's settings module is in,
    else the only root folder with a wsgi.py. None when there is no manage.py or no such
    package, or when several could be meant."""
    manage = build_dir / "manage.py"
    if not manage.is_file():
        return None
    match = SETTINGS_RE.search(manage.read_text(errors="replace"))
    if match:
        top = match.group(1).split(".")[0]
        return top if (build_dir / top / "wsgi.py").is_file() else None
    found = sorted(p.parent.name for p in build_dir.glob("*/wsgi.py") if p.parent.name.isidentifier())
    return found[0] if len(found) == 1 else None


def infer_web(build_dir: Path) -> str | None:
    """`gunicorn <project>.wsgi` for a Django project whose virtualenv has gunicorn; nothing is
    guessed for other apps. gunicorn binds 0.0.0.0:$PORT by itself."""
    if not (build_dir / VENV / "bin" / "gunicorn").is_file():
        return None
    project = django_project(build_dir)
    return f"gunicorn {project}.wsgi" if project else None


def release_yaml(build_dir: Path) -> str:
    """bin/release's YAML. Only an app without a Procfile gets a default web process, and such
    an app must have one that can be inferred."""
    if (build_dir / "Procfile").is_file():
        return "---\ndefault_process_types: {}\n"
    web = infer_web(build_dir)
    if not web:
        raise AppError(
            "No Procfile, and no web process can be inferred for this app (paas infers one only "
            "for Django: manage.py, <project>/wsgi.py and gunicorn in the dependencies). Add a "
            "Procfile, e.g. 'web: gunicorn app:app'.")
    return f"---\ndefault_process_types:\n  web: {json.dumps(web)}\n"


def main(argv: list[str]) -> int:
    command, target = argv[1], Path(argv[2])
    try:
        if command == "version":
            request = python_request(target)
            print(check_version(*request, platform.python_version()) if request else "")
        elif command == "manager":
            names = {p.name for p in target.iterdir() if p.is_file()}
            manager, file, notes = choose_manager(names)
            if manager == "pip":
                text = (target / file).read_text(errors="replace")
                notes += [f"Warning: {w}" for w in requirements_warnings(text)]
            print(f"{manager} {file}", *notes, sep="\n")
        elif command == "requirements" and target.name == "Pipfile.lock":
            lines, notes = pipfile_requirements(target.read_text())
            print(*lines, sep="\n")
            print(*notes, sep="\n", file=sys.stderr)
        elif command == "requirements":
            print(*pyproject_requirements(target.read_text()), sep="\n")
        elif command == "web":
            print(infer_web(target) or "")
        elif command == "release":
            print(release_yaml(target), end="")
        else:
            print(f"pyapp.py: unknown command {command!r}", file=sys.stderr)
            return 2
    except AppError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
