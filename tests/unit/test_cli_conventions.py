"""Heroku's conventions in the real CLI against the real Flask app (fakes below): the app from
git remotes, `--json` and `=== ` on listings, progress as it happens on stderr, help topics,
shell completion, one-line errors with status 1."""
from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import httpx
import pytest

from paas.cli.client import Client
from paas.cli.context import app_from_remotes
from paas.cli.output import CliError
from paas.server.app import create_app
from tests.fakes import FakeEngine, fake_services
from tests.support import PAAS
from tests.unit.cli_harness import api, run  # noqa: F401 (api is a fixture)


@pytest.fixture
def deployed(api, capsys):
    """hello at v2 (two pushes), with a worker type in its Procfile."""
    _, _, services = api
    services.repos.files["Procfile"] = b"web: gunicorn app:app\nworker: python w.py\n"
    run(api, ["apps:create", "hello"], capsys)
    for sha in ("a" * 40, "b" * 40):
        services.deployer.deploy_push("hello", sha, lambda _: None)
    services.repos.heads["hello"] = "b" * 40
    return services


# ---- the app from -a, -r, or this repository's remotes

URL = "http://paas.test/git/{}.git"


@pytest.mark.parametrize("remotes,chosen,app", [
    ({"paas": URL.format("one"), "staging": URL.format("two")}, None, "one"),
    ({"origin": "git@github.com:me/x.git", "prod": URL.format("two")}, None, "two"),
    ({"a": URL.format("two"), "b": URL.format("two")}, None, "two"),
    ({"mine": URL.format("one"), "theirs": "http://elsewhere:7070/git/two.git"}, None, "one"),
    ({"paas": URL.format("one"), "staging": URL.format("two")}, "staging", "two"),
])
def test_the_app_comes_from_the_remotes(remotes, chosen, app):
    assert app_from_remotes(remotes, "http://paas.test", chosen) == app


@pytest.mark.parametrize("remotes,chosen,message", [
    ({"paas-a": URL.format("one"), "staging": URL.format("two")}, None,
     "several apps in this repo's remotes (paas-a: one, staging: two): pass -a APP"),
    ({"origin": "git@github.com:me/x.git"}, None, "no app given: pass -a APP"),
    ({}, "nope", "no git remote named 'nope' here"),
    ({"origin": "git@github.com:me/x.git"}, "origin", "git remote 'origin' (git@github.com:me/x.git) "
                                                      "is not a paas app's git URL"),
])
def test_no_or_several_apps_in_the_remotes_is_an_error(remotes, chosen, message):
    with pytest.raises(CliError) as caught:
        app_from_remotes(remotes, "http://paas.test", chosen)
    assert caught.value.message.startswith(message)


def test_remotes_of_a_real_repository(api, capsys, tmp_path):
    for name in ("one", "two"):
        run(api, ["apps:create", name], capsys)
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for remote, app in (("paas-a", "one"), ("staging", "two")):
        subprocess.run(["git", "remote", "add", remote, URL.format(app)], cwd=repo, check=True)
    code, out, err = run(api, ["apps:info"], capsys, cwd=str(repo))
    assert (code, out, err) == (1, "", "paas: several apps in this repo's remotes "
                                       "(paas-a: one, staging: two): pass -a APP\n")
    assert run(api, ["open", "-r", "staging"], capsys, cwd=str(repo))[1] == "http://two.localhost:8080/\n"
    assert run(api, ["open", "-a", "one"], capsys, cwd=str(repo))[1] == "http://one.localhost:8080/\n"


def test_an_app_name_that_is_not_one_never_reaches_the_api(api, capsys):
    run(api, ["tokens:create", "ci", "--admin"], capsys)
    code, _, err = run(api, ["apps:destroy", "-a", "../tokens/ci", "--confirm", "../tokens/ci"], capsys)
    assert code == 1 and err.startswith("paas: invalid app name '../tokens/ci'")
    assert run(api, ["tokens:revoke", "../apps/x"], capsys)[2] == "paas: no token named '../apps/x'\n"
    assert "ci" in run(api, ["tokens"], capsys)[1]


# ---- listings: --json everywhere, `=== ` headers and aligned columns otherwise

LISTINGS = [["apps"], ["apps:info"], ["releases"], ["releases:info", "v1"], ["config"], ["ps"],
            ["domains"], ["builds"], ["tokens"], ["resources"]]


@pytest.mark.parametrize("argv", LISTINGS, ids=lambda a: a[0])
def test_every_listing_has_json_and_a_header(api, capsys, deployed, argv):
    argv = argv + (["-a", "hello"] if argv[0] not in ("apps", "tokens") else [])
    code, out, _ = run(api, argv + ["--json"], capsys)
    assert code == 0 and json.loads(out) is not None
    code, out, _ = run(api, argv, capsys)
    assert code == 0 and out.startswith("=== ")


def test_columns_line_up(api, capsys, deployed):
    run(api, ["ps:scale", "worker=1", "-a", "hello"], capsys)
    code, out, _ = run(api, ["ps", "-a", "hello"], capsys)
    header, *rows = out.splitlines()
    assert header == "=== hello Processes (web=1 worker=1)"
    assert [r.split()[:3] for r in rows] == [["web.1", "running", "v2"], ["worker.1", "running", "v2"]]
    assert len({r.index(" v2") for r in rows}) == 1
    out = run(api, ["releases", "-a", "hello"], capsys)[1].splitlines()
    assert out[0] == "=== hello Releases - Current: v2"
    assert out[1].startswith("v2  Deploy bbbbbbb  ") and out[2].startswith("v1  Deploy aaaaaaa  ")


# ---- long operations: progress on stderr as it comes, the outcome on stdout

def test_progress_goes_to_stderr_and_the_outcome_to_stdout(api, capsys, deployed):
    code, out, err = run(api, ["config:set", "A=1", "-a", "hello"], capsys)
    assert code == 0 and out == "Setting A and restarting hello... done, v3\n"
    assert "-----> Launching v3 (web, worker)" in err.splitlines()
    code, out, err = run(api, ["releases:rollback", "-a", "hello"], capsys)
    assert out == "Rolled back hello: Rollback to v2, now v4\nTo undo: paas releases:rollback v3 -a hello\n"
    code, out, err = run(api, ["builds:create", "-a", "hello"], capsys)
    assert (code, out) == (0, "Built bbbbbbb again and released hello v5\n")
    assert err.splitlines()[-1] == "       http://hello.localhost:8080/ deployed"
    assert run(api, ["ps:restart", "web", "-a", "hello"], capsys)[1] == "Restarting web of hello... done\n"
    assert run(api, ["ps:scale", "web=2", "-a", "hello"], capsys)[1] == \
        "Scaling hello... done, now web=2\n"
    assert run(api, ["resources:set", "memory=1g", "-a", "hello"], capsys)[1] == \
        "Setting resources of hello (all process types)... done\n"


def test_a_failed_operation_shows_its_lines_then_one_reason(api, capsys, deployed):
    deployed.repos.files["Procfile"] = b"web: gunicorn app:app\nrelease: ./migrate\n"
    deployed.deployer.deploy_push("hello", "c" * 40, lambda _: None)
    engine = deployed.deployer.scheduler.engine
    engine.one_off_status = 4
    code, out, err = run(api, ["config:set", "A=1", "-a", "hello"], capsys)
    assert (code, out) == (1, "")
    assert "       ran ./migrate" in err.splitlines()
    assert err.splitlines()[-1] == ("paas: v4 failed: the release command exited with status 4; "
                                    "the running release is unchanged")


def test_run_passes_output_and_exit_status(api, capsys, deployed):
    deployed.deployer.scheduler.engine.one_off_status = 7
    code, out, err = run(api, ["run", "-a", "hello", "--", "python", "-c", "print(1)"], capsys)
    assert (code, out, err) == (7, "ran python -c 'print(1)'\n", "")


class GatedEngine(FakeEngine):
    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def run_once(self, spec, on_line, timeout=None):
        on_line("first")
        return 0 if self.gate.wait(timeout=10) else 1


def test_the_client_gets_each_line_before_the_operation_ends(tmp_path):
    engine = GatedEngine()
    services = fake_services(tmp_path / "home", engine=engine)
    services.apps.create("hello")
    engine.gate.set()
    services.deployer.deploy_push("hello", "a" * 40, lambda _: None)
    engine.gate.clear()
    token = services.tokens.ensure_admin(services.settings.token_file)
    client = Client("http://paas.test", token,
                    transport=httpx.WSGITransport(app=create_app(services.settings, services)))

    def on_line(line: str) -> None:
        assert line == "first"
        engine.gate.set()  # the one-off ends only once its first line has reached us

    assert client.operation("POST", "/apps/hello/run", {"command": ["x"]}, on_line=on_line) == {"exit": 0}


# ---- help, completion, errors

def test_help_lists_topics_then_a_topics_commands(api, capsys):
    code, topics, _ = run(api, ["help"], capsys)
    assert code == 0 and "=== Topics" in topics.splitlines()
    assert "config      config vars: each change is a release" in topics.splitlines()
    assert run(api, [], capsys)[1] == topics == run(api, ["--help"], capsys)[1]
    code, out, _ = run(api, ["help", "config"], capsys)
    assert out.splitlines() == [
        "=== config: config vars: each change is a release",
        "config        Show the app's config vars.",
        "config:get    Print one value (an empty line when unset).",
        "config:set    Set KEY=VALUE pairs: one release, one restart.",
        "config:unset  Remove config vars: one release, one restart."]
    assert run(api, ["help", "config:set"], capsys)[1].startswith("Usage: paas config:set [OPTIONS] PAIRS...")
    assert run(api, ["help", "nope"], capsys)[:3:2] == (1, "paas: no help topic 'nope': 'paas help' lists them\n")


@pytest.mark.parametrize("argv,message", [
    (["opne"], "paas: No such command 'opne'. Did you mean 'open'? (see 'paas help')\n"),
    (["apps:create"], "paas: Missing argument 'NAME'. (see 'paas apps:create --help')\n"),
    (["logs", "-n", "0", "-a", "x"], "paas: Invalid value for '-n' / '--num': 0 is not in the range "
                                     "1<=x<=10000. (see 'paas logs --help')\n"),
])
def test_usage_errors_are_one_line_and_status_1(api, capsys, argv, message):
    assert run(api, argv, capsys) == (1, "", message)


def bash_complete(line: str) -> list[str]:
    script = (f'eval "$({PAAS} completion bash)"; COMP_LINE="$1"; COMP_POINT=${{#1}}; '
              '_paas_completion paas; printf "%s\\n" "${COMPREPLY[@]}"')
    env = {**os.environ, "PATH": f"{Path(PAAS).parent}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", "--norc", "-c", script, "bash", line], env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.split()


def test_bash_completes_topics_and_commands():
    assert bash_complete("paas con") == ["config", "config:get", "config:set", "config:unset"]
    assert bash_complete("paas config:s") == ["set"]  # bash keeps `config:` itself
    assert bash_complete("paas help re") == ["releases", "resources"]
    assert "--confirm" in bash_complete("paas apps:destroy --")


def test_completion_scripts_and_app_names(api, capsys, monkeypatch, tmp_path):
    for shell in ("zsh", "fish"):
        code, out, _ = run(api, ["completion", shell], capsys)
        assert code == 0 and "_PAAS_COMPLETE" in out
    run(api, ["apps:create", "hello"], capsys)
    run(api, ["apps:create", "other"], capsys)
    monkeypatch.setenv("COMP_LINE", "paas ps -a h")
    _, env, _ = api
    code, out, _ = run(api, [], capsys, env={**env, "_PAAS_COMPLETE": "bash_complete"})
    assert (code, out) == (0, "plain,hello\n")
    # Not logged in: no names to offer, and no traceback in the user's terminal.
    logged_out = {k: v for k, v in env.items() if k not in ("PAAS_TOKEN", "PAAS_API_URL")}
    code, out, err = run(api, [], capsys, env={**logged_out, "XDG_CONFIG_HOME": str(tmp_path),
                                               "_PAAS_COMPLETE": "bash_complete"})
    assert (code, out, err) == (0, "\n", "")
