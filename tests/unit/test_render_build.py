import pytest

from paas.errors import InvalidInput
from paas.render.build import build_script, process_types


def test_build_script_tries_buildpacks_in_order():
    script = build_script(["python", "nodejs"])
    assert "for bp in python nodejs; do" in script
    assert 'known="python, nodejs"' in script
    assert 'No buildpack matched this app (tried: $known).' in script
    assert '/buildpacks/"$bp"/bin/compile /app /cache /env' in script
    assert '/buildpacks/"$last"/bin/release /app > /paas-results/release.yml' in script


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


def run_script(tmp_path, files, buildpacks, compile_extra=""):
    """Run the real script with bash against a fake /app, /buildpacks and result dir."""
    import subprocess
    root = tmp_path / "root"
    for name, body in files.items():
        (root / "app" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "app" / name).write_text(body)
    for bp, detects in buildpacks.items():
        bin_dir = root / "buildpacks" / bp / "bin"
        bin_dir.mkdir(parents=True)
        for step, text in {"detect": "exit 0" if detects else "exit 1",
                           "compile": f'echo "compiled {bp} FROM=${{FROM_PREV:-none}}"; echo "export FROM_PREV={bp}" >> "$BUILDPACK_EXPORT"\n{compile_extra}',
                           "release": f"echo 'default_process_types: {{web: run-{bp}}}'"}.items():
            (bin_dir / step).write_text(f"#!/bin/bash\n{text}\n")
            (bin_dir / step).chmod(0o755)
    (root / "out").mkdir()
    script = build_script(list(buildpacks)).replace("/buildpacks/", f"{root}/buildpacks/").replace(
        "/app", f"{root}/app").replace("/paas-results", f"{root}/out").replace(
        "/tmp/buildpack-export", f"{root}/export")
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    return result, root / "out"


def test_detection_picks_the_first_match(tmp_path):
    result, out = run_script(tmp_path, {"x": ""}, {"a": False, "b": True, "c": True})
    assert result.returncode == 0 and "-----> Using buildpack: b" in result.stdout
    assert (out / "buildpack").read_text() == "b\n" and "run-b" in (out / "release.yml").read_text()


def test_buildpacks_file_runs_each_in_order_sharing_exports_and_the_last_releases(tmp_path):
    result, out = run_script(tmp_path, {".buildpacks": "c\n# comment\n\nhttps-less/a\n"},
                             {"a": False, "b": False, "c": False})
    assert result.returncode == 0, result.stdout
    assert "compiled c FROM=none" in result.stdout and "compiled a FROM=c" in result.stdout
    assert (out / "buildpack").read_text() == "c,a\n" and "run-a" in (out / "release.yml").read_text()


def test_buildpacks_file_refuses_urls_and_unknown_names(tmp_path):
    result, _ = run_script(tmp_path, {".buildpacks": "https://github.com/x/y.git\n"}, {"a": True})
    assert result.returncode == 1 and "cannot be fetched here; use buildpacks paas has: a" in result.stdout
    result, _ = run_script(tmp_path / "2", {".buildpacks": "nodejs\n"}, {"a": True})
    assert result.returncode == 1 and ".buildpacks: unknown buildpack 'nodejs'; use one of: a" in result.stdout


def test_nothing_detected(tmp_path):
    result, _ = run_script(tmp_path, {"x": ""}, {"a": False})
    assert result.returncode == 1 and "No buildpack matched this app (tried: a)." in result.stdout


FINALIZE = """\
mkdir -p "$1/.heroku/finalize.d" "$1/.profile.d"
echo 'export GREETING=profiled' > "$1/.profile.d/a.sh"
printf '#!/bin/bash\\necho "finalize sees $GREETING, args $# in ${PWD##*/}"; echo built > dist.txt; exit ${FAIL:-0}\\n' > "$1/.heroku/finalize.d/a"
chmod +x "$1/.heroku/finalize.d/a"
"""


def test_finalize_steps_run_after_compile_in_app_with_profile_sourced(tmp_path):
    result, out = run_script(tmp_path, {"x": ""}, {"a": True}, compile_extra=FINALIZE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "finalize sees profiled, args 2 in app" in result.stdout
    assert (tmp_path / "root" / "app" / "dist.txt").read_text() == "built\n"
    assert (out / "finalize").read_text() == "a "


def test_a_failing_finalize_step_fails_the_build_naming_it(tmp_path):
    result, _ = run_script(tmp_path, {"x": ""}, {"a": True}, compile_extra=FINALIZE + """echo 'export FAIL=3' >> "$1/.profile.d/a.sh"\n""")
    assert result.returncode == 3
    assert "Build failed: the a finalize step exited with status 3" in result.stdout
