"""Releases, config vars and rollback through the real flow (issue 4)."""
from __future__ import annotations

import json
import subprocess

from tests.support import PAAS, commit_all, http_get

VALUE = "a=b c\nsecond line ü ✓"


def env_of(platform, app, key):
    status, body = http_get(f"{platform.router_url}/env/{key}", host=f"{app}.localhost")
    assert status == 200
    return body


def releases(platform, app):
    out = platform.paas("releases", "-a", app, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_config_releases_and_rollback(platform, tmp_path):
    app = "echo"
    repo = platform.deploy(app, "flask-hello", tmp_path)  # v1

    out = platform.paas("config:set", f"GREETING={VALUE}", "OTHER=1", cwd=repo)  # v2
    assert out.returncode == 0, out.stderr
    assert "restarting echo... done, v2" in out.stdout
    assert env_of(platform, app, "GREETING") == VALUE
    assert platform.paas("config:get", "GREETING", cwd=repo).stdout == VALUE + "\n"
    assert platform.paas("config:get", "NOPE", cwd=repo).stdout == "\n"
    shell = platform.paas("config", "--shell", cwd=repo).stdout
    assert shell.splitlines()[0] == "GREETING='a=b c"
    assert json.loads(platform.paas("config", "--json", cwd=repo).stdout) == {"GREETING": VALUE, "OTHER": "1"}

    info = platform.paas("releases:info", "v2", cwd=repo)
    assert info.returncode == 0 and "Config added:   GREETING, OTHER" in info.stdout
    assert "second line" not in info.stdout

    (repo / "app.py").write_text((repo / "app.py").read_text().replace("v1", "v2"))
    commit_all(repo, platform.env, "v2")
    platform.push(repo)                                                          # v3
    assert platform.paas("config:set", "GREETING=new", cwd=repo).returncode == 0  # v4
    assert env_of(platform, app, "GREETING") == "new"
    assert "hello from v2" in platform.get(app)[1]
    assert [r["description"][:7] for r in releases(platform, app)] == [
        "Set GRE", "Deploy ", "Set GRE", "Deploy "]

    back = platform.paas("releases:rollback", "v2", cwd=repo)                   # v5
    assert back.returncode == 0, back.stderr
    assert "now v5" in back.stdout and "To undo: paas releases:rollback v4 -a echo" in back.stdout
    assert "hello from v1" in platform.get(app)[1]
    assert env_of(platform, app, "GREETING") == VALUE
    assert env_of(platform, app, "OTHER") == "1"
    info = platform.paas("releases:info", "v5", cwd=repo).stdout
    assert "Rollback to v2" in info and "Config added:   -" in info and "Config changed: GREETING" in info

    assert platform.paas("config:unset", "OTHER", cwd=repo).returncode == 0       # v6
    assert env_of(platform, app, "OTHER") == ""
    # Three releases are kept (PAAS_KEEP_RELEASES=3): one more build pushes v3's image out.
    (repo / "app.py").write_text((repo / "app.py").read_text().replace("v2", "v3"))
    commit_all(repo, platform.env, "v3")
    platform.push(repo)                                                          # v7
    before = releases(platform, app)
    expired = platform.paas("releases:rollback", "v3", cwd=repo)
    assert expired.returncode == 1
    assert expired.stderr == ("paas: cannot roll back to v3: its image was removed by image "
                              "retention; push that commit again instead\n")
    assert releases(platform, app) == before
    assert "hello from v3" in platform.get(app)[1]

    default = platform.paas("releases:rollback", cwd=repo)                       # v8 = v6
    assert default.returncode == 0 and "Rollback to v6" in default.stdout
    assert "hello from v1" in platform.get(app)[1]
    assert env_of(platform, app, "GREETING") == VALUE and env_of(platform, app, "OTHER") == ""


def test_bad_config_and_rollback_input_changes_nothing(platform, tmp_path):
    app = "strict"
    repo = platform.deploy(app, "flask-hello", tmp_path)  # v1
    (repo / "Procfile").write_text(
        "web: python -c 'print(\"v2 dies here\", flush=True); raise SystemExit(3)'\n")
    commit_all(repo, platform.env, "crashes")
    failed = platform.git("push", "paas", "main", cwd=repo)                      # v2 fails
    assert failed.returncode != 0 and "crashed on boot (exit status 3)" in failed.stderr
    # The failed deploy's container is kept stopped: its lines stay readable by release.
    v2_logs = platform.paas("logs", "--release", "v2", cwd=repo)
    assert v2_logs.returncode == 0 and "app[web.1]: v2 dies here" in v2_logs.stdout, v2_logs
    v1_logs = platform.paas("logs", "--release", "v1", cwd=repo)
    assert v1_logs.returncode == 0 and "v2 dies here" not in v1_logs.stdout
    assert "paas[deploy]" not in v1_logs.stdout + v2_logs.stdout
    before = releases(platform, app)
    assert [r["status"] for r in before] == ["failed", "succeeded"]

    cases = [
        (["config:set", "1A=x"], "invalid config key '1A'"),
        (["config:set", "A-B=x"], "invalid config key 'A-B'"),
        (["config:set", "PAAS_X=x"], "the PAAS_ prefix is reserved"),
        (["config:set", "=x"], "invalid config key ''"),
        (["config:set", "FOO"], "'FOO' is not KEY=VALUE"),
        (["config:set", "BIG=" + "x" * 33000], "the limit is 32768 bytes"),
        (["config:unset", "1A"], "invalid config key '1A'"),
        (["releases:rollback", "v0"], "invalid release 'v0'"),
        (["releases:rollback", "vX"], "invalid release 'vX'"),
        (["releases:rollback", "v2"], "cannot roll back to v2: that release failed"),
        (["releases:rollback", "v99"], "no release v99 of strict"),
        (["releases:info", "v99"], "no release v99 of strict"),
        (["config:set", "A=1", "-a", "ghost"], "no such app: ghost"),
        (["releases", "-a", "ghost"], "no such app: ghost"),
    ]
    for argv, message in cases:
        result = platform.paas(*argv, cwd=repo)
        assert result.returncode == 1, argv
        assert result.stderr.count("\n") == 1 and message in result.stderr, (argv, result.stderr)
    assert releases(platform, app) == before
    assert json.loads(platform.paas("config", "--json", cwd=repo).stdout) == {}
    assert "hello from v1" in platform.get(app)[1]


def test_concurrent_config_sets_both_land_in_order(platform, tmp_path):
    app = "racy"
    platform.deploy(app, "flask-hello", tmp_path)
    procs = [subprocess.Popen([PAAS, "config:set", f"K{n}=v{n}", "-a", app],
                              env=platform.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for n in (1, 2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    found = releases(platform, app)
    assert [r["version"] for r in found[:2]] == [3, 2]
    assert sorted(r["description"] for r in found[:2]) == ["Set K1 config vars", "Set K2 config vars"]
    assert json.loads(platform.paas("config", "--json", "-a", app).stdout) == {"K1": "v1", "K2": "v2"}
    assert env_of(platform, app, "K1") == "v1" and env_of(platform, app, "K2") == "v2"
