"""Property-based tests of every parser of user input: whatever a user or a push sends, each
either returns something well-formed or raises InvalidInput (one clear line), never anything
else; what it accepts is safe to put into an nginx file, a path or a container spec."""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from paas.domain import appjson, config, names, procfile, resources
from paas.domain.healthchecks import parse_app_json
from paas.errors import InvalidInput

BUILDPACKS = Path(__file__).resolve().parents[2] / "buildpacks"
CHECKS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


semver = _load("semver_range", BUILDPACKS / "nodejs" / "lib" / "semver_range.py")
pyapp = _load("pyapp", BUILDPACKS / "python" / "lib" / "pyapp.py")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20)
# app.json-shaped documents, so that the generator reaches past the top level
app_json_docs = st.fixed_dictionaries({}, optional={
    "formation": st.dictionaries(st.text(max_size=10), st.one_of(
        json_values, st.fixed_dictionaries({"quantity": json_values})), max_size=3),
    "scripts": st.one_of(json_values, st.fixed_dictionaries(
        {"dokku": st.one_of(json_values, st.fixed_dictionaries({"predeploy": json_values}))})),
    "healthchecks": st.one_of(json_values, st.dictionaries(st.sampled_from(["web", "worker", ""]), st.lists(
        st.one_of(json_values, st.dictionaries(st.sampled_from(
            ["type", "path", "content", "attempts", "timeout", "wait", "initialDelay", "name",
             "port"]), json_values, max_size=6)), max_size=3), max_size=2)),
})
NGINX_SAFE = re.compile(r"[a-z0-9.*-]+")


@CHECKS
@given(st.text())
@example("web: a\nweb: b")
@example("web:")
@example("\x00: x")
def test_any_procfile_parses_or_is_refused_in_one_line(text):
    try:
        processes = procfile.parse_procfile(text)
    except InvalidInput as exc:
        assert "\n" not in exc.message and exc.message.startswith("Procfile line ")
        return
    for kind, command in processes.items():
        assert procfile.TYPE_RE.fullmatch(kind)
        assert command and command == command.strip() and "\n" not in command and "\r" not in command


@CHECKS
@given(st.dictionaries(st.from_regex(procfile.TYPE_RE, fullmatch=True),
                       st.text(st.characters(blacklist_categories=("Cc", "Zl", "Zp", "Cs")),
                               min_size=1).map(str.strip).filter(bool), max_size=5))
def test_a_written_procfile_reads_back(processes):
    text = "".join(f"{kind}: {command}\n" for kind, command in processes.items())
    assert procfile.parse_procfile(text) == processes


@CHECKS
@given(st.one_of(st.text(), json_values.map(json.dumps), app_json_docs.map(json.dumps)))
@example('{"formation": {"web": {"quantity": 1e400}}}')
@example('{"healthchecks": {"web": [{"type": "startup", "attempts": -1}]}}')
def test_any_app_json_parses_or_is_refused(text):
    try:
        declared = appjson.parse(text)
    except InvalidInput as exc:
        assert "\n" not in exc.message
        return
    for kind, quantity in declared.formation.items():
        assert procfile.TYPE_RE.fullmatch(kind)
        assert isinstance(quantity, int) and 0 <= quantity <= procfile.MAX_SCALE
    assert declared.predeploy is None or (isinstance(declared.predeploy, str) and declared.predeploy)
    assert parse_app_json(text) == declared.healthchecks


@CHECKS
@given(st.one_of(st.text(), json_values))
@example("PAAS_TOKEN")
@example("paas_x")
@example("A\n")
def test_config_keys_are_identifiers_and_never_the_platforms(key):
    try:
        accepted = config.validate_key(key)
    except InvalidInput as exc:
        assert "\n" not in exc.message
        return
    assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", accepted) and accepted == key
    assert not accepted.upper().startswith("PAAS_")


@CHECKS
@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True).filter(
    lambda k: not k.upper().startswith("PAAS_")), st.text())
def test_a_cli_assignment_reads_back_whatever_its_value(key, value):
    assert config.parse_assignments([f"{key}={value}"]) == {key: value}


@CHECKS
@given(st.dictionaries(st.text(max_size=10), st.one_of(st.text(max_size=64), json_values),
                       max_size=6), st.lists(st.text(max_size=10), max_size=3))
def test_config_changes_are_all_or_nothing_and_within_the_limit(set_, unset):
    current = {"KEEP": "1"}
    try:
        new = config.apply_changes(current, set_, unset)
    except InvalidInput as exc:
        assert "\n" not in exc.message and current == {"KEEP": "1"}
        return
    assert config.config_size(new) <= config.MAX_CONFIG_BYTES
    assert all("\x00" not in v for v in new.values())
    assert {k: v for k, v in new.items() if k in set_} == set_


@CHECKS
@given(st.one_of(st.text(), st.from_regex(r"(\*\.)?[a-zA-Z0-9.-]{1,80}\.?", fullmatch=True),
                 json_values))
@example("\u212a.example.com")  # KELVIN SIGN lowercases to an ASCII k
@example("exa\u0130mple.com")
@example("a.b;evil")
@example("*.example.com")
def test_accepted_domains_are_plain_host_names(domain):
    try:
        accepted = names.validate_domain(domain)
    except InvalidInput as exc:
        assert "\n" not in exc.message
        return
    # goes into nginx's server_name and certificate file names: nothing but these characters
    assert NGINX_SAFE.fullmatch(accepted) and len(accepted) <= 253
    assert accepted.isascii() and ".." not in accepted and "/" not in accepted
    assert accepted == domain.lower().rstrip(".")


@CHECKS
@given(st.one_of(st.text(), json_values))
@example("../etc")
@example("a" * 31)
def test_accepted_app_names_are_safe_in_paths_and_docker_names(name):
    try:
        accepted = names.validate_app_name(name)
    except InvalidInput as exc:
        assert "\n" not in exc.message
        return
    assert re.fullmatch(r"[a-z][a-z0-9-]{0,29}", accepted)


@CHECKS
@given(st.lists(st.one_of(st.text(max_size=20), st.builds(
    "{}={}".format, st.sampled_from(["memory", "cpus", "pids", "swap", ""]),
    st.one_of(st.text(max_size=12), st.from_regex(r"[0-9]{1,12}(\.[0-9]{1,4})?[bkmgtBKMGT]?",
                                                   fullmatch=True)))), max_size=4))
@example(["memory=0m"])
@example(["cpus=0"])
@example(["memory=99999999999g"])
def test_resources_parse_to_docker_limits_or_are_refused(args):
    try:
        parsed = resources.parse(args)
    except InvalidInput as exc:
        assert "\n" not in exc.message
        return
    docker = resources.docker_args(parsed)
    if "memory" in parsed:
        assert resources.memory_bytes(parsed["memory"]) >= 6 * 1024 * 1024
    assert isinstance(docker, dict)


@CHECKS
@given(st.one_of(st.text(max_size=60), st.from_regex(
    r"(\^|~|>=|<=|>|<|=)?\s?[0-9x*]{1,3}(\.[0-9x*]{1,3}){0,2}(\s(\|\||-)\s[0-9]{1,3}(\.[0-9]{1,3})?)?",
    fullmatch=True)))
@example("")
@example("20.x || >=22 <23")
@example("1.2.3-alpha")
@example("x" * 300)
def test_node_version_ranges_parse_or_say_why(text):
    try:
        alternatives = semver.parse(text)
    except semver.RangeError as exc:
        assert "\n" not in str(exc)
        return
    for alternative in alternatives:
        assert isinstance(semver.to_pep440(alternative), str)
    assert isinstance(semver.satisfies("20.11.1", alternatives), bool)


@CHECKS
@given(st.text(max_size=40))
@example("3.13")
@example("python-3.12.1")
@example("3")
@example("pypy3.10")
def test_python_version_requests_are_answered_in_one_line(requested):
    try:
        answer = pyapp.check_version(".python-version", requested, "3.13.5")
    except pyapp.AppError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(answer, str)
