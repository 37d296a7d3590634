"""The python buildpack through the real flow (issue 5): Django with collectstatic and an
inferred web process, pyproject.toml, requirements.txt and Pipfile.lock (with its hashes) with
uv's pip interface, uv.lock with uv sync; code-only pushes that reuse the dependency layer; a
push that adds one package downloads only that one (issue 14); the clear failures."""
from __future__ import annotations

import json
import re
import urllib.request

from tests.support import commit_all, copy_app

COLLECTSTATIC = "-----> $ python manage.py collectstatic --noinput"
REUSED = "-----> Dependencies unchanged, reusing layer"


def push_new(platform, app, fixture, tmp_path, **config):
    """Create the app (with config set before the first push), push the fixture; (repo, result)."""
    assert platform.paas("apps:create", app).returncode == 0
    if config:
        result = platform.paas("config:set", *(f"{k}={v}" for k, v in config.items()), "-a", app)
        assert result.returncode == 0, result.stderr
    repo = copy_app(fixture, tmp_path / app, platform.env)
    assert platform.paas("git:remote", "-a", app, cwd=repo).returncode == 0
    return repo, platform.git("push", "paas", "main", cwd=repo)


def change(repo, path, old, new, platform, message="code only"):
    (repo / path).write_text((repo / path).read_text().replace(old, new))
    commit_all(repo, platform.env, message)
    result = platform.git("push", "paas", "main", cwd=repo)
    assert result.returncode == 0, result.stderr
    return result.stderr


def fetch(platform, app, path):
    req = urllib.request.Request(platform.router_url + path, headers={"Host": f"{app}.localhost"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return resp.read().decode(), resp.headers


def processes(platform, app, version):
    out = platform.paas("releases:info", version, "-a", app, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["process_types"]


def test_django_collectstatic_and_the_inferred_web_process_also_on_code_only_pushes(platform, tmp_path):
    repo, result = push_new(platform, "django", "django-app", tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stderr
    assert re.search(r"-----> Using Python 3\.13\.\d+ \(the stack's\), as asked by 3\.13 in \.python-version", out)
    assert COLLECTSTATIC in out and re.search(r"\d+ static files? copied to '/app/staticfiles'", out), out
    assert processes(platform, "django", "v1") == {"web": "gunicorn mysite.wsgi"}  # no Procfile
    assert "hello from django v1 (Django 5.2" in platform.wait_for("django", "DEBUG=False")
    # Static files: collected into STATIC_ROOT at build time, served by WhiteNoise in gunicorn.
    hashed = platform.get("django", "/asset")[1]
    assert re.fullmatch(r"/static/site\.[0-9a-f]{12}\.css", hashed), hashed
    body, headers = fetch(platform, "django", hashed)
    assert "paas django fixture" in body and "immutable" in headers["Cache-Control"]

    # Code only: the dependency layer is reused, collectstatic still runs on the new code.
    (repo / "static" / "extra.css").write_text("p { margin: 0 } /* added by a code-only push */\n")
    out = change(repo, "mysite/urls.py", 'VERSION = "v1"', 'VERSION = "v2"', platform)
    assert REUSED in out and COLLECTSTATIC in out, out
    assert out.index(REUSED) < out.index(COLLECTSTATIC)
    platform.wait_for("django", "hello from django v2")
    assert "added by a code-only push" in fetch(platform, "django", "/static/extra.css")[0]
    assert processes(platform, "django", "v2") == {"web": "gunicorn mysite.wsgi"}


def test_disable_collectstatic_skips_it(platform, tmp_path):
    _, result = push_new(platform, "djquiet", "django-app", tmp_path, DISABLE_COLLECTSTATIC="1")
    assert result.returncode == 0, result.stderr
    assert "-----> Skipping Django collectstatic since the env var DISABLE_COLLECTSTATIC is set." in result.stderr
    assert COLLECTSTATIC not in result.stderr
    platform.wait_for("djquiet", "hello from django v1")
    assert platform.get("djquiet", "/static/site.css")[0] == 404  # nothing collected


def test_pyproject_installs_the_dependencies_not_the_project(platform, tmp_path):
    repo, result = push_new(platform, "pyproj", "python-pyproject", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "-----> Installing pyproject.toml's [project].dependencies with uv 0.13." in result.stderr
    platform.wait_for("pyproj", "hello from pyproject v1")
    assert platform.get("pyproj", "/installed/flask")[1].startswith("flask 3.1.")
    assert platform.get("pyproj", "/installed/pyproject-fixture")[1] == "pyproject-fixture not installed\n"
    assert platform.get("pyproj", "/installed/iniconfig")[1] == "iniconfig not installed\n"  # an extra
    out = change(repo, "app.py", '"v1"', '"v2"', platform)
    assert REUSED in out, out
    platform.wait_for("pyproj", "hello from pyproject v2")


def test_uv_lock_is_synced_with_uv_without_dev_or_project(platform, tmp_path):
    repo, result = push_new(platform, "uvapp", "python-uv", tmp_path)
    assert result.returncode == 0, result.stderr
    # uv is the platform's, in the build base image: no build downloads it.
    assert "Installing uv" not in result.stderr, result.stderr
    assert "-----> Installing dependencies from uv.lock with uv 0.13." in result.stderr
    platform.wait_for("uvapp", "hello from uv v1")
    flask = re.search(r'name = "flask"\nversion = "([^"]+)"', (repo / "uv.lock").read_text()).group(1)
    assert platform.get("uvapp", "/installed/flask")[1] == f"flask {flask}\n"  # the locked one
    assert platform.get("uvapp", "/installed/iniconfig")[1] == "iniconfig not installed\n"  # dev group
    assert platform.get("uvapp", "/installed/uv-fixture")[1] == "uv-fixture not installed\n"
    out = change(repo, "app.py", '"v1"', '"v2"', platform)
    assert REUSED in out, out
    platform.wait_for("uvapp", "hello from uv v2")
    # A changed pyproject.toml rebuilds, every package from the app's build cache.
    out = change(repo, "pyproject.toml", 'description = "A', 'description = "Still a', platform, "deps")
    assert "pyproject.toml changed" in out and "Installing uv" not in out, out
    assert re.search(r"       0 downloaded or built, \d+ from this app's build cache", out), out


def test_pipfile_lock_installs_its_default_packages_with_their_hashes(platform, tmp_path):
    repo, result = push_new(platform, "pipenv", "python-pipfile", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "-----> Installing the default packages of Pipfile.lock with uv 0.13." in result.stderr
    platform.wait_for("pipenv", "hello from pipfile v1")
    assert platform.get("pipenv", "/installed/iniconfig")[1] == "iniconfig not installed\n"  # develop
    lock = json.loads((repo / "Pipfile.lock").read_text())
    lock["default"]["flask"]["hashes"] = ["sha256:" + "0" * 64]
    (repo / "Pipfile.lock").write_text(json.dumps(lock, indent=4))
    commit_all(repo, platform.env, "a hash that does not match")
    result = platform.git("push", "paas", "main", cwd=repo)
    assert result.returncode != 0
    assert "Hash mismatch for `flask==" in result.stderr, result.stderr
    assert "Installing the dependencies failed (uv exited with status 1)" in result.stderr


def test_no_procfile_and_nothing_to_infer_fails_clearly(platform, tmp_path):
    assert platform.paas("apps:create", "noweb").returncode == 0
    repo = copy_app("flask-hello", tmp_path / "noweb", platform.env)
    (repo / "Procfile").unlink()
    commit_all(repo, platform.env, "no Procfile")
    platform.paas("git:remote", "-a", "noweb", cwd=repo)
    result = platform.git("push", "paas", "main", cwd=repo)
    assert result.returncode != 0
    assert (" !     No Procfile, and no web process can be inferred for this app (paas infers one only "
            "for Django") in result.stderr
    assert "[remote rejected] main -> main" in result.stderr


def test_a_python_version_the_stack_lacks_fails_naming_the_stacks(platform, tmp_path):
    assert platform.paas("apps:create", "py39").returncode == 0
    repo = copy_app("flask-hello", tmp_path / "py39", platform.env)
    (repo / ".python-version").write_text("3.9\n")
    commit_all(repo, platform.env, "ask for 3.9")
    platform.paas("git:remote", "-a", "py39", cwd=repo)
    result = platform.git("push", "paas", "main", cwd=repo)
    assert result.returncode != 0
    assert re.search(r" !     Python 3\.9 was requested in \.python-version, but this stack offers "
                     r"Python 3\.\d+\.\d+ only: ask for 3\.\d+ there", result.stderr), result.stderr


def test_a_push_that_adds_one_package_downloads_only_that_one(platform, tmp_path):
    """Issue 14: the per-app build cache keeps every wheel uv fetched, so the rebuild of the
    dependency layer downloads the one new package and takes the rest from the cache."""
    repo, result = push_new(platform, "onedep", "flask-hello", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "-----> Installing requirements with uv 0.13." in result.stderr
    first = re.search(r"       (\d+) downloaded or built, 0 from this app's build cache", result.stderr)
    assert first and int(first.group(1)) >= 5, result.stderr  # flask, its 5 deps, gunicorn, ...
    platform.wait_for("onedep", "hello from v1")
    (repo / "requirements.txt").write_text((repo / "requirements.txt").read_text() + "six==1.17.0\n")
    out = change(repo, "app.py", '"v1"', '"v2"', platform, "one more dependency")
    assert "requirements.txt changed" in out, out
    again = re.search(r"       1 downloaded or built, (\d+) from this app's build cache", out)
    assert again and int(again.group(1)) == int(first.group(1)), out
    assert " + six==1.17.0" in out
    assert "hello from v2" in platform.wait_for("onedep", "hello from v2")
    # Another app's cache is its own: nothing of onedep's is reused by it.
    _, other = push_new(platform, "onedep2", "flask-hello", tmp_path)
    assert other.returncode == 0, other.stderr
    assert re.search(r"       \d+ downloaded or built, 0 from this app's build cache", other.stderr), other.stderr
