"""Buildpacks detected in their documented order and served through nginx (issue 5)."""
from __future__ import annotations

import urllib.request

from tests.support import copy_app


def test_static_site_is_served_with_caching_headers(platform, tmp_path):
    platform.deploy("site", "static-site", tmp_path)
    req = urllib.request.Request(f"{platform.router_url}/", headers={"Host": "site.localhost"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert "hello from a static site" in resp.read().decode()
        assert "max-age=3600" in resp.headers["Cache-Control"]
    req = urllib.request.Request(f"{platform.router_url}/style.css", headers={"Host": "site.localhost"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.headers["Content-Type"].startswith("text/css") and resp.headers["ETag"]
    out = platform.paas("builds:output", "-a", "site").stdout
    assert "-----> Using buildpack: static" in out and "-----> Static site detected" in out


def test_procfile_only_app_runs_with_the_stack(platform, tmp_path):
    platform.deploy("bare", "procfile-only", tmp_path)
    assert "hello from a Procfile-only app" in platform.get("bare")[1]


def test_no_detectable_language_is_refused_clearly(platform, tmp_path):
    assert platform.paas("apps:create", "mystery").returncode == 0
    repo = copy_app("no-language", tmp_path / "mystery", platform.env)
    platform.paas("git:remote", "-a", "mystery", cwd=repo)
    result = platform.git("push", "paas", "main", cwd=repo)
    assert result.returncode != 0
    assert "No buildpack matched this app (tried: python, nodejs, static, procfile)." in result.stderr


def test_buildpacks_file_runs_each_in_order(platform, tmp_path):
    repo = platform.deploy("multi", "multi", tmp_path)
    out = platform.paas("builds:output", "-a", "multi").stdout
    assert "-----> Using buildpacks from .buildpacks: static python" in out
    assert out.index("Static site detected") < out.index("Python app detected")
    assert "hello from v1" in platform.get("multi")[1]
    (repo / ".buildpacks").write_text("https://github.com/heroku/heroku-buildpack-nodejs\n")
    from tests.support import commit_all
    commit_all(repo, platform.env, "a buildpack from a URL")
    result = platform.git("push", "paas", "main", cwd=repo)
    assert result.returncode != 0
    assert "cannot be fetched here; use buildpacks paas has: python, nodejs, static, procfile" in result.stderr
