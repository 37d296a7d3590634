"""The real CLI against the real Flask app in process (httpx's WSGI transport), fakes below."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.unit.cli_harness import api, run  # noqa: F401 (api is a fixture)


def test_create_list_info_open(api, capsys):
    code, out, _ = run(api, ["apps:create", "hello"], capsys)
    assert code == 0
    assert out.splitlines() == ["Creating hello... done",
                                "http://hello.localhost:8080/ | http://127.0.0.1:7070/git/hello.git"]
    assert run(api, ["apps"], capsys)[1] == ("=== Apps\nNAME   REQ/MIN (5M)  ERRORS (5M)\n"
                                             "hello  0             0.0%\n")
    code, out, _ = run(api, ["apps", "--json"], capsys)
    assert [a["name"] for a in json.loads(out)] == ["hello"]
    code, out, _ = run(api, ["apps:info", "-a", "hello"], capsys)
    assert out.splitlines()[:4] == ["=== hello", "Web URL:   http://hello.localhost:8080/",
                                    "Git URL:   http://127.0.0.1:7070/git/hello.git",
                                    "Release:   none yet"]
    assert run(api, ["open", "-a", "hello"], capsys)[1] == "http://hello.localhost:8080/\n"


@pytest.mark.parametrize("name", ["../x", "Foo", "", "a" * 200])
def test_invalid_names_fail_with_one_line(api, capsys, name):
    code, out, err = run(api, ["apps:create", name], capsys)
    assert code == 1 and out == ""
    assert err.startswith("paas: invalid app name") and err.count("\n") == 1


def test_existing_name_and_unknown_app(api, capsys):
    run(api, ["apps:create", "hello"], capsys)
    assert run(api, ["apps:create", "hello"], capsys)[1:] == ("", "paas: app 'hello' already exists\n")
    assert run(api, ["apps:info", "-a", "nope"], capsys)[2] == "paas: no such app: nope\n"


def test_wrong_or_missing_token(api, capsys):
    _, env, _ = api
    assert run(api, ["apps"], capsys, env={**env, "PAAS_TOKEN": "wrong"})[2].startswith(
        "paas: missing or invalid token")
    no_login = {k: v for k, v in env.items() if k not in ("PAAS_TOKEN", "PAAS_API_URL")}
    code, _, err = run(api, ["apps"], capsys, env=no_login)
    assert code == 1 and err.startswith("paas: not logged in")


def test_login_saves_and_is_used(api, capsys, tmp_path):
    _, env, _ = api
    token = env["PAAS_TOKEN"]
    bare = {"HOME": env["HOME"], "PATH": env["PATH"]}
    code, out, _ = run(api, ["login", "--api-url", "http://paas.test", "--token", token], capsys, env=bare)
    assert code == 0 and out.startswith("Logged in to http://paas.test")
    assert run(api, ["apps"], capsys, env=bare)[0] == 0
    assert run(api, ["login", "--api-url", "http://paas.test", "--token", "bad"], capsys, env=bare)[0] == 1


def test_destroy_needs_confirm(api, capsys):
    run(api, ["apps:create", "hello"], capsys)
    code, _, err = run(api, ["apps:destroy", "-a", "hello"], capsys)
    assert code == 1 and "--confirm hello" in err
    assert run(api, ["apps:destroy", "-a", "hello", "--confirm", "hello"], capsys)[0] == 0
    assert run(api, ["apps"], capsys)[1] == "=== Apps\n"


def test_git_remote_sets_the_remote_and_the_app_comes_from_it(api, capsys, tmp_path):
    _, env, _ = api
    token = env["PAAS_TOKEN"]
    run(api, ["apps:create", "hello"], capsys)
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert run(api, ["git:remote", "-a", "hello"], capsys, cwd=str(repo))[0] == 0
    url = subprocess.run(["git", "remote", "get-url", "paas"], cwd=repo, capture_output=True,
                         text=True).stdout.strip()
    assert url == "http://127.0.0.1:7070/git/hello.git"
    helper = subprocess.run(["git", "config", "credential.http://127.0.0.1:7070.helper"], cwd=repo,
                            capture_output=True, text=True).stdout
    assert " -m paas.cli.credential get; fi" in helper
    assert run(api, ["open"], capsys, cwd=str(repo))[1] == "http://hello.localhost:8080/\n"
    # git itself runs the helper, as it does on a push
    filled = subprocess.run(["git", "credential", "fill"], cwd=repo, capture_output=True, text=True,
                            input="protocol=http\nhost=127.0.0.1:7070\n",
                            env={**os.environ, **env, "GIT_TERMINAL_PROMPT": "0"})
    assert filled.returncode == 0, filled.stderr
    assert f"username=paas\npassword={token}\n" in filled.stdout
    # `store` and `erase` start no Python and answer nothing; git goes on.
    for action in ("approve", "reject"):
        done = subprocess.run(["git", "credential", action], cwd=repo, capture_output=True,
                              text=True, env={**os.environ, **env, "GIT_TRACE": "1"},
                              input=f"protocol=http\nhost=127.0.0.1:7070\nusername=paas\npassword={token}\n")
        assert done.returncode == 0 and done.stdout == "", done.stderr
        assert "paas.cli.credential get" in done.stderr  # the helper ran, and exec'd nothing
    code, out, _ = run(api, ["git:credential", "get"], capsys)  # remotes set by older versions
    assert out == f"username=paas\npassword={token}\n"


def test_no_app_and_no_remote(api, capsys, tmp_path):
    code, _, err = run(api, ["apps:info"], capsys, cwd=str(tmp_path))
    assert code == 1 and "no app given" in err


def test_builds_and_their_output(api, capsys):
    app, _, _ = api
    services = app.extensions["paas"]
    run(api, ["apps:create", "hello"], capsys)
    services.deployer.deploy_push("hello", "a" * 40, lambda _: None)
    code, out, _ = run(api, ["builds", "-a", "hello"], capsys)
    assert code == 0 and out.splitlines()[1].startswith("1  succeeded  aaaaaaa  python  ")
    code, out, _ = run(api, ["builds:output", "-a", "hello"], capsys)
    assert "-----> Python app detected" in out and "-----> Build succeeded" in out
    assert run(api, ["builds:output", "9", "-a", "hello"], capsys)[2] == "paas: no build 9 of hello\n"


def test_tokens_commands(api, capsys):
    code, _, err = run(api, ["tokens:create", "deploy-bot"], capsys)
    assert code == 1 and "pass --admin, or --app APP" in err
    code, out, err = run(api, ["tokens:create", "deploy-bot", "--admin"], capsys)
    assert code == 0 and len(out.strip()) > 30 and "\n" not in out.strip()  # alone: TOKEN=$(...)
    assert err == "Created token deploy-bot; its value is shown this once:\n"
    assert "deploy-bot" in run(api, ["tokens"], capsys)[1]
    assert run(api, ["tokens:revoke", "deploy-bot"], capsys)[1] == "Revoking token deploy-bot... done\n"
    assert run(api, ["tokens:revoke", "deploy-bot"], capsys)[2] == "paas: no token named 'deploy-bot'\n"
    assert run(api, ["tokens:revoke", "admin"], capsys)[2] == (
        "paas: a token cannot revoke itself: use another token\n")
