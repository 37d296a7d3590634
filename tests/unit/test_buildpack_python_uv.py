"""bin/compile's use of uv (issue 14), with a stand-in uv that records what it was asked and
prints what the real one prints: the cache and pip's settings reach uv in its names, a hashed
requirements file is checked as pip would check it, and the log says how many packages came
from the app's build cache. (The real uv against PyPI: tests/e2e/test_buildpack_python.py.)"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

BP = Path(__file__).resolve().parents[2] / "buildpacks" / "python"

FAKE_UV = """#!/usr/bin/env python3
import json, os, sys
if sys.argv[1:] == ["--version"]:
    print("uv 0.13.9"); sys.exit(0)
with open(os.environ["FAKE_UV_RECORD"], "w") as f:
    json.dump({"argv": sys.argv[1:], "env": {k: v for k, v in os.environ.items() if k.startswith("UV_")}}, f)
print("Resolved 10 packages in 171ms")
print("Prepared 1 package in 7ms")
print("Installed 10 packages in 193ms")
print(" + six==1.17.0")
sys.exit(int(os.environ.get("FAKE_UV_EXIT", "0")))
"""


def compile_with_fake_uv(tmp_path: Path, requirements: str, config: dict[str, str] | None = None,
                         exit_code: int = 0) -> tuple[subprocess.CompletedProcess, dict]:
    app, cache, env_dir = tmp_path / "app", tmp_path / "cache", tmp_path / "env"
    for d in (app, cache, env_dir):
        d.mkdir()
    (app / "requirements.txt").write_text(requirements)
    for key, value in (config or {}).items():
        (env_dir / key).write_text(value)
    uv = tmp_path / "uv"
    uv.write_text(FAKE_UV)
    uv.chmod(0o755)
    record = tmp_path / "record.json"
    env = {**os.environ, "PAAS_BUILD_UV": str(uv), "FAKE_UV_RECORD": str(record),
           "FAKE_UV_EXIT": str(exit_code)}
    result = subprocess.run([str(BP / "bin" / "compile"), str(app), str(cache), str(env_dir)],
                            capture_output=True, text=True, env=env)
    return result, json.loads(record.read_text()) if record.exists() else {}


def test_requirements_go_to_uv_pip_install_with_the_apps_cache_and_say_what_was_cached(tmp_path):
    result, seen = compile_with_fake_uv(tmp_path, "flask==3.1.*\nsix==1.17.0\n")
    assert result.returncode == 0, result.stdout + result.stderr
    venv = tmp_path / "app" / ".heroku" / "python"
    assert seen["argv"] == ["pip", "install", "--python", f"{venv}/bin/python", "-r",
                            "requirements.txt"]
    assert seen["env"]["UV_CACHE_DIR"] == f"{tmp_path / 'cache'}/uv"
    assert seen["env"]["UV_INDEX_STRATEGY"] == "unsafe-best-match"  # pip's resolution
    assert seen["env"]["UV_COMPILE_BYTECODE"] == "1" and seen["env"]["UV_LINK_MODE"] == "copy"
    assert "-----> Installing requirements with uv 0.13.9 (uv pip install)" in result.stdout
    assert "        + six==1.17.0" in result.stdout
    assert "       1 downloaded or built, 9 from this app's build cache" in result.stdout
    assert not (venv / "bin" / "pip").exists()  # uv installs; no pip in the app's venv


def test_pips_index_settings_in_the_config_reach_uv(tmp_path):
    _, seen = compile_with_fake_uv(tmp_path, "flask\n", {
        "PIP_INDEX_URL": "https://mirror.example/simple",
        "PIP_EXTRA_INDEX_URL": "https://pkgs.example/simple"})
    assert seen["env"]["UV_INDEX_URL"] == "https://mirror.example/simple"
    assert seen["env"]["UV_EXTRA_INDEX_URL"] == "https://pkgs.example/simple"


def test_one_hash_puts_every_requirement_under_hash_checking_as_with_pip(tmp_path):
    _, seen = compile_with_fake_uv(tmp_path, "flask==3.1.3 --hash=sha256:aa\n")
    assert "--require-hashes" in seen["argv"]


def test_a_failing_uv_fails_the_build_saying_so(tmp_path):
    result, _ = compile_with_fake_uv(tmp_path, "flask\n", exit_code=1)
    assert result.returncode == 1
    assert "Installing the dependencies failed (uv exited with status 1)" in result.stdout
    assert "from this app's build cache" not in result.stdout


def test_no_requirements_installs_nothing(tmp_path):
    result, seen = compile_with_fake_uv(tmp_path, "# nothing yet\n\n")
    assert result.returncode == 0 and seen == {}
    assert "No dependencies declared." in result.stdout
