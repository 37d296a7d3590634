import pytest

from paas.errors import InvalidInput
from paas.render.build import build_script, process_types


def test_build_script_tries_buildpacks_in_order():
    script = build_script(["python", "nodejs"])
    assert "for bp in python nodejs; do" in script
    assert "No buildpack matched this app (tried: python, nodejs)." in script
    assert '/buildpacks/"$selected"/bin/compile /app /cache /env' in script
    assert '/buildpacks/"$selected"/bin/release /app > /tmp/paas/release.yml' in script


def test_procfile_wins_over_buildpack_defaults():
    release = "---\ndefault_process_types:\n  web: npm start\n  worker: node w.js\n"
    assert process_types("web: node server.js\n", release) == {"web": "node server.js",
                                                               "worker": "node w.js"}


def test_no_procfile_uses_defaults_and_empty_release_is_fine():
    assert process_types(None, "default_process_types:\n  web: npm start\n") == {"web": "npm start"}
    assert process_types(None, "---\ndefault_process_types: {}\n") == {}
    assert process_types(None, None) == {}


def test_invalid_release_yaml_is_a_clear_error():
    with pytest.raises(InvalidInput, match="bin/release printed invalid YAML"):
        process_types(None, "default_process_types: [unclosed")


def test_bad_procfile_fails_the_build():
    with pytest.raises(InvalidInput, match="Procfile line 1"):
        process_types("web", None)
