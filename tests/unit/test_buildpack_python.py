"""The python buildpack's scripts, run directly, and its decisions (lib/pyapp.py) as functions.
No network: the compile paths here stop before pip."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BP = Path(__file__).resolve().parents[2] / "buildpacks" / "python"
_spec = importlib.util.spec_from_file_location("pyapp", BP / "lib" / "pyapp.py")
pyapp = importlib.util.module_from_spec(_spec)
_writes, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ in buildpacks/:
_spec.loader.exec_module(pyapp)                                    # it is hashed into layer keys
sys.dont_write_bytecode = _writes

MANAGE_PY = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "{}")\n'


def run(step, *args, env=None):
    return subprocess.run([str(BP / "bin" / step), *map(str, args)], capture_output=True,
                          text=True, env=env)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, body in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(body)
    return root


def django(root: Path, *, gunicorn=True, settings="mysite.settings", wsgi=("mysite",)) -> Path:
    """An app laid out as compile leaves it: code plus .heroku/python/bin."""
    write(root, {"manage.py": MANAGE_PY.format(settings) if settings else "print()\n",
                 "requirements.txt": "django\n", ".heroku/python/bin/python": ""})
    for package in wsgi:
        write(root, {f"{package}/__init__.py": "", f"{package}/wsgi.py": "application = None\n"})
    if gunicorn:
        write(root, {".heroku/python/bin/gunicorn": ""})
    return root


def test_detect(tmp_path):
    assert run("detect", tmp_path).returncode == 1
    for name in ("requirements.txt", "pyproject.toml", "setup.py", "Pipfile"):
        d = tmp_path / name.replace(".", "-")
        d.mkdir()
        (d / name).write_text("")
        result = run("detect", d)
        assert result.returncode == 0 and result.stdout == "Python\n"


# bin/release: a web process only when it is honest, else a clear failure.

def test_release_infers_gunicorn_for_a_django_project(tmp_path):
    result = run("release", django(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == '---\ndefault_process_types:\n  web: "gunicorn mysite.wsgi"\n'


def test_release_finds_the_project_from_the_settings_module_among_several(tmp_path):
    app = django(tmp_path, settings="site2.settings.production", wsgi=("mysite", "site2"))
    assert "gunicorn site2.wsgi" in run("release", app).stdout


def test_release_takes_the_only_wsgi_package_when_manage_py_does_not_say(tmp_path):
    assert "gunicorn mysite.wsgi" in run("release", django(tmp_path, settings=None)).stdout


@pytest.mark.parametrize("layout", [
    dict(gunicorn=False),                                   # nothing to serve it with
    dict(settings="other.settings"),                        # manage.py names a package without wsgi.py
    dict(settings=None, wsgi=("one", "two")),               # several could be meant
    dict(wsgi=()),                                          # no wsgi.py at all
])
def test_release_guesses_nothing_else_and_fails_clearly_without_a_procfile(tmp_path, layout):
    result = run("release", django(tmp_path, **layout))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(" !     No Procfile, and no web process can be inferred")
    assert "Add a Procfile" in result.stderr


def test_release_of_a_flask_app_without_procfile_fails(tmp_path):
    write(tmp_path, {"requirements.txt": "flask\n", "app.py": "", ".heroku/python/bin/gunicorn": ""})
    assert run("release", tmp_path).returncode == 1


def test_release_with_a_procfile_defaults_nothing(tmp_path):
    write(django(tmp_path), {"Procfile": "worker: python work.py\n"})
    result = run("release", tmp_path)
    assert (result.returncode, result.stdout) == (0, "---\ndefault_process_types: {}\n")


# Python versions: the stack's Python when it satisfies the request.

@pytest.mark.parametrize("asked", ["3.13", "3.13.5", "python-3.13.5", "python-3.13"])
def test_versions_the_stack_satisfies(asked):
    assert pyapp.check_version(".python-version", asked, "3.13.5") == f"{asked.removeprefix('python-')} in .python-version"


@pytest.mark.parametrize("asked,says", [
    ("3.9", "Python 3.9 was requested in .python-version, but this stack offers Python 3.13.5 only: ask for 3.13"),
    ("3.13.2", "Python 3.13.2 was requested in .python-version, but this stack offers Python 3.13.5 only: ask for 3.13 there to use the newest"),
    ("3.130", "Python 3.130 was requested"),
    ("2.7.18", "Python 2.7.18 was requested"),
    ("pypy3.10", "Could not read the Python version in .python-version ('pypy3.10')"),
    ("", "Could not read the Python version"),
])
def test_versions_the_stack_lacks_fail_naming_what_it_has(asked, says):
    with pytest.raises(pyapp.AppError) as err:
        pyapp.check_version(".python-version", asked, "3.13.5")
    assert str(err.value).startswith(says) and "3.13.5" in str(err.value)


def test_the_request_comes_from_python_version_before_runtime_txt(tmp_path):
    assert pyapp.python_request(tmp_path) is None
    write(tmp_path, {"runtime.txt": "python-3.13.5\n"})
    assert pyapp.python_request(tmp_path) == ("runtime.txt", "python-3.13.5")
    write(tmp_path, {".python-version": "# pyenv\n\n 3.13 \n3.12\n"})
    assert pyapp.python_request(tmp_path) == (".python-version", "3.13")


def test_compile_fails_before_installing_when_the_version_is_not_the_stacks(tmp_path):
    write(tmp_path, {"requirements.txt": "flask\n", ".python-version": "3.6\n"})
    result = run("compile", tmp_path, tmp_path / "cache", tmp_path / "env")
    assert result.returncode == 1
    last = result.stdout.splitlines()[-1]
    assert last.startswith(" !     Python 3.6 was requested in .python-version, but this stack offers Python 3.")
    assert not (tmp_path / ".heroku").exists()
    (tmp_path / ".python-version").unlink()
    write(tmp_path, {"runtime.txt": "python-2.7.18\n"})
    assert "Python 2.7.18 was requested in runtime.txt" in run("compile", tmp_path, tmp_path / "c", tmp_path / "e").stdout


# Which package manager, and what it installs.

@pytest.mark.parametrize("names,chosen", [
    ({"requirements.txt"}, ("pip", "requirements.txt", [])),
    ({"pyproject.toml"}, ("pyproject", "pyproject.toml", [])),
    ({"pyproject.toml", "requirements.txt", "setup.py"}, ("pip", "requirements.txt", [])),
    ({"pyproject.toml", "uv.lock", "requirements.txt"},
     ("uv", "uv.lock", ["requirements.txt is also present and ignored: uv.lock decides"])),
    ({"Pipfile", "Pipfile.lock"}, ("pipfile", "Pipfile.lock", [])),
    ({"Pipfile", "requirements.txt"}, ("pip", "requirements.txt", [])),
])
def test_manager_order(names, chosen):
    assert pyapp.choose_manager(names) == chosen


@pytest.mark.parametrize("names,says", [
    ({"Pipfile"}, "A Pipfile without Pipfile.lock is not supported: run 'pipenv lock'"),
    ({"setup.py"}, "setup.py alone is not supported"),
    ({"uv.lock"}, "uv.lock was found without pyproject.toml"),
])
def test_manager_refusals_say_what_to_do(names, says):
    with pytest.raises(pyapp.AppError, match=says):
        pyapp.choose_manager(names)


def test_requirements_that_a_code_only_push_would_not_refresh_are_warned_about(tmp_path):
    text = "flask\n-r requirements/base.txt\n--constraint c.txt  # pins\n-e .\n# -r not/this.txt\n"
    warnings = pyapp.requirements_warnings(text)
    assert [w.split(":")[0] for w in warnings] == [
        "requirements.txt includes requirements/base.txt", "requirements.txt includes c.txt",
        "requirements.txt installs the app itself (-e .)"]
    assert pyapp.requirements_warnings("flask==3.1\ngunicorn\n") == []
    write(tmp_path, {"requirements.txt": text})
    result = subprocess.run(["python3", str(BP / "lib" / "pyapp.py"), "manager", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.stdout.splitlines()[0] == "pip requirements.txt"
    assert result.stdout.splitlines()[1].startswith("Warning: requirements.txt includes requirements/base.txt: ")


@pytest.mark.parametrize("files,says", [
    ({"Pipfile": "[packages]\n"}, " !     A Pipfile without Pipfile.lock is not supported"),
    ({"setup.py": "from setuptools import setup\n"}, " !     setup.py alone is not supported"),
    ({"pyproject.toml": "[tool.poetry]\nname = 'x'\n"},
     " !     pyproject.toml has no [project] table, so its dependencies are unknown (Poetry's"),
])
def test_compile_refuses_what_it_cannot_install_before_making_a_virtualenv(tmp_path, files, says):
    result = run("compile", write(tmp_path, files), tmp_path / "cache", tmp_path / "env")
    assert result.returncode == 1 and result.stdout.splitlines()[-1].startswith(says)
    assert not (tmp_path / ".heroku").exists()


def test_pyproject_dependencies_only_not_the_project_or_its_extras():
    text = ('[project]\nname = "x"\ndependencies = ["flask==3.1.*", " gunicorn>=23 ; os_name == \'posix\'"]\n'
            '[project.optional-dependencies]\ntest = ["pytest"]\n')
    assert pyapp.pyproject_requirements(text) == ["flask==3.1.*", "gunicorn>=23 ; os_name == 'posix'"]
    assert pyapp.pyproject_requirements('[project]\nname = "x"\n') == []


@pytest.mark.parametrize("text,says", [
    ('[project]\nname = "x"\ndynamic = ["dependencies"]\n', "declares its dependencies dynamic"),
    ('[project]\ndependencies = "flask"\n', "must be a list of strings"),
    ('[tool.ruff]\nline-length = 100\n', "has no \\[project\\] table"),
    ("[project\n", "is not valid TOML"),
])
def test_pyproject_refusals(text, says):
    with pytest.raises(pyapp.AppError, match=says):
        pyapp.pyproject_requirements(text)


def lock(default: dict, sources=("https://pypi.org/simple",)) -> str:
    return json.dumps({"_meta": {"sources": [{"name": f"s{i}", "url": u} for i, u in enumerate(sources)]},
                       "default": default, "develop": {"pytest": {"version": "==8.0.0"}}})


def test_pipfile_lock_pins_the_default_section_with_hashes():
    lines, notes = pyapp.pipfile_requirements(lock({
        "flask": {"version": "==3.1.3", "hashes": ["sha256:aa", "sha256:bb"], "index": "pypi"},
        "click": {"version": "==8.5.1", "hashes": ["sha256:cc"], "markers": "python_version >= '3.10'",
                  "extras": ["x", "y"]},
    }))
    assert lines == ["click[x,y]==8.5.1 ; python_version >= '3.10' --hash=sha256:cc",
                     "flask==3.1.3 --hash=sha256:aa --hash=sha256:bb"]
    assert notes == []


def test_pipfile_lock_without_hashes_for_some_installs_all_unchecked_and_says_so():
    lines, notes = pyapp.pipfile_requirements(lock({
        "flask": {"version": "==3.1.3", "hashes": ["sha256:aa"]},
        "lib": {"git": "https://example.com/lib.git", "ref": "abc123", "subdirectory": "py"},
        "wheel": {"file": "https://example.com/w-1.0-py3-none-any.whl"},
        "me": {"path": ".", "editable": True},
    }, sources=("https://pypi.org/simple", "https://pkgs.example.com/simple")))
    assert lines == ["--extra-index-url https://pkgs.example.com/simple", "flask==3.1.3",
                     "lib @ git+https://example.com/lib.git@abc123#subdirectory=py",
                     "wheel @ https://example.com/w-1.0-py3-none-any.whl"]
    assert notes == ["me is the app itself (.): it runs from /app, not installed",
                     "hashes not checked: lib, wheel has none in Pipfile.lock"]


def test_pipfile_lock_refusals():
    with pytest.raises(pyapp.AppError, match=r"x is a local path \(libs/x\)"):
        pyapp.pipfile_requirements(lock({"x": {"path": "libs/x", "editable": True}}))
    with pytest.raises(pyapp.AppError, match="no 'default' section"):
        pyapp.pipfile_requirements("{}")
    with pytest.raises(pyapp.AppError, match="not valid JSON"):
        pyapp.pipfile_requirements("{")


def test_pipfile_lock_from_another_index_uses_it():
    lines, _ = pyapp.pipfile_requirements(lock({"a": {"version": "==1"}}, sources=("https://pkgs.example.com/simple",)))
    assert lines == ["--index-url https://pkgs.example.com/simple", "a==1"]


# The finalize step compile leaves for Django (collectstatic itself runs in the e2e tests).

def finalize(app: Path, env: dict[str, str], project: str = "") -> subprocess.CompletedProcess:
    script = (BP / "lib" / "finalize").read_text().replace('PROJECT=""', f'PROJECT="{project}"', 1)
    (app / "finalize").write_text(script)
    env_dir = app.parent / "env"
    env_dir.mkdir(exist_ok=True)
    for key, value in env.items():
        (env_dir / key).write_text(value)
    return subprocess.run(["bash", str(app / "finalize"), str(app), str(env_dir)], capture_output=True,
                          text=True, env={"PATH": os.environ["PATH"]})


def test_finalize_skips_collectstatic_when_disabled_or_without_manage_py(tmp_path):
    app = django(tmp_path / "app")
    result = finalize(app, {"DISABLE_COLLECTSTATIC": "1"})
    assert (result.returncode, result.stdout) == (
        0, "-----> Skipping Django collectstatic since the env var DISABLE_COLLECTSTATIC is set.\n")
    (app / "manage.py").unlink()
    result = finalize(app, {"DISABLE_COLLECTSTATIC": "0"})
    assert (result.returncode, result.stdout) == (0, "-----> Skipping Django collectstatic since no manage.py file found.\n")


def test_finalize_fails_when_the_code_left_the_inferred_web_process(tmp_path):
    app = django(tmp_path / "app")
    assert finalize(app, {"DISABLE_COLLECTSTATIC": "1"}, project="mysite").returncode == 0
    (app / "mysite" / "wsgi.py").unlink()
    result = finalize(app, {"DISABLE_COLLECTSTATIC": "1"}, project="mysite")
    assert result.returncode == 1
    assert result.stdout.startswith(" !     The default web process is 'gunicorn mysite.wsgi', inferred")
    write(app, {"mysite/wsgi.py": "", "manage.py": MANAGE_PY.format("newsite.settings")})
    result = finalize(app, {"DISABLE_COLLECTSTATIC": "1"}, project="mysite")
    assert result.returncode == 1 and "e.g. 'web: gunicorn newsite.wsgi'" in result.stdout
    write(app, {"Procfile": "web: gunicorn newsite.wsgi\n"})
    assert finalize(app, {"DISABLE_COLLECTSTATIC": "1"}, project="mysite").returncode == 0
