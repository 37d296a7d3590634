"""Hostile API input: schemathesis generates requests for every operation of
/api/v1/openapi.json (its examples, then fuzzed ones) with the admin token, against a platform
of its own (the fuzzer creates and deletes apps, domains and tokens), and again with a token for
one app. 0 server errors, every answer as documented.

The log tail (`?tail=1`) streams until its client leaves, which a fuzzer reads as a timeout:
it is left out here, and tests/faults/test_streams.py holds that dropped tails free the server.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support import start_platform, stop_platform

ST = str(Path(sys.executable).with_name("schemathesis"))
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    p = start_platform(tmp_path_factory.mktemp("fuzz"), "fuzz", drain_seconds=0)
    assert p.paas("apps:create", "seed").returncode == 0
    yield p
    stop_platform(p)


@pytest.fixture(scope="module")
def app_token(fuzzed) -> str:
    """A token for the app `seed` only, as its developers would hold."""
    made = httpx.post(f"{fuzzed.api_url}/api/v1/tokens", json={"name": "fuzz-dev", "apps": ["seed"]},
                      headers={"Authorization": f"Bearer {fuzzed.token}"}, timeout=30)
    assert made.status_code == 201, made.text
    return made.json()["token"]


def schemathesis(platform, token: str, workdir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ST, "run", f"{platform.api_url}/api/v1/openapi.json",
         "-H", f"Authorization: Bearer {token}", "--checks", CHECKS,
         "--phases", "examples,fuzzing", "--max-examples", "5", "--seed", "1",
         "--request-timeout", "30", "--continue-on-failure",
         "--exclude-path", "/apps/{name}/logs", "--no-color"],
        cwd=workdir, capture_output=True, text=True, timeout=900, env=platform.env)


# The app token's run goes first: the admin's may delete the app `seed`.
def test_every_operation_fuzzed_with_an_app_token(fuzzed, app_token, tmp_path):
    result = schemathesis(fuzzed, app_token, tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_every_operation_fuzzed_with_the_admin_token(fuzzed, tmp_path):
    result = schemathesis(fuzzed, fuzzed.token, tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    api_log = (fuzzed.home / "logs" / "api.log").read_text(errors="replace")
    assert "Traceback" not in api_log, api_log[-4000:]
