"""A build that outlasts PAAS_BUILD_TIMEOUT or outgrows PAAS_BUILD_MEMORY is stopped, says which
limit it hit, and leaves the running release serving (issue 5)."""
from __future__ import annotations

import pytest

from tests.support import copy_app, start_platform, stop_platform


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    p = start_platform(tmp_path_factory.mktemp("limits"), "limited", drain_seconds=1,
                       settings={"PAAS_BUILD_TIMEOUT": "25", "PAAS_BUILD_MEMORY": "300m"})
    yield p
    stop_platform(p)


def test_build_time_and_memory_limits(limited, tmp_path):
    app = "heavy"
    assert limited.paas("apps:create", app).returncode == 0
    repo = copy_app("python-heavy-build", tmp_path / app, limited.env)
    limited.paas("git:remote", "-a", app, cwd=repo)
    limited.push(repo)
    assert limited.get(app)[0] == 200

    for mode, reason in (("sleep", "build timed out after 25 s (PAAS_BUILD_TIMEOUT)"),
                         ("memory", "build ran out of memory (300m, PAAS_BUILD_MEMORY) and was killed")):
        # A config change makes a release of the built image; the next push rebuilds with it.
        assert limited.paas("config:set", "-a", app, f"HEAVY={mode}").returncode == 0
        limited.git("commit", "--allow-empty", "-qm", f"rebuild with HEAVY={mode}", cwd=repo)
        failed = limited.git("push", "paas", "main", cwd=repo)
        assert failed.returncode != 0
        rejected = next(l for l in failed.stderr.splitlines() if "[remote rejected]" in l)
        assert reason in rejected, failed.stderr[-800:]
        assert limited.get(app)[0] == 200
