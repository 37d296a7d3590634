"""The python buildpack's scripts, run directly (no network: these paths stop before pip)."""
from __future__ import annotations

import subprocess
from pathlib import Path

BP = Path(__file__).resolve().parents[2] / "buildpacks" / "python" / "bin"


def run(step, *args):
    return subprocess.run([str(BP / step), *map(str, args)], capture_output=True, text=True)


def test_detect(tmp_path):
    assert run("detect", tmp_path).returncode == 1
    for name in ("requirements.txt", "pyproject.toml", "setup.py", "Pipfile"):
        d = tmp_path / name.replace(".", "-")
        d.mkdir()
        (d / name).write_text("")
        result = run("detect", d)
        assert result.returncode == 0 and result.stdout == "Python\n"


def test_release_guesses_no_process_types(tmp_path):
    assert run("release", tmp_path).stdout == "---\ndefault_process_types: {}\n"


def test_a_python_version_the_stack_lacks_fails_and_says_what_it_has(tmp_path):
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / ".python-version").write_text("3.6\n")
    result = run("compile", tmp_path, tmp_path / "cache", tmp_path / "env")
    assert result.returncode == 1
    last = result.stdout.splitlines()[-1]
    assert last.startswith(" !     Python 3.6 was requested, but this stack offers Python 3.")
    (tmp_path / ".python-version").unlink()
    (tmp_path / "runtime.txt").write_text("python-2.7.18\n")
    assert "Python 2.7.18 was requested" in run("compile", tmp_path, tmp_path / "c", tmp_path / "e").stdout
