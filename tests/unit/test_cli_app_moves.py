"""paas apps:export / apps:import through the real CLI and API (in process)."""
from __future__ import annotations

import io
import sys

from tests.unit.cli_harness import api, run  # noqa: F401  (api is a fixture)


def test_export_to_file_then_import_from_stdin(api, capsys, monkeypatch, tmp_path):
    _, _, services = api
    services.store.add_app("web")
    services.store.replace_config("web", {"GREETING": "hi"})
    target = tmp_path / "web.tar"
    code, out, err = run(api, ["apps:export", "-a", "web", "-o", str(target)], capsys)
    assert (code, out, err) == (0, "", "Exported web\n")
    assert not list(tmp_path.glob(".paas-export-*"))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(target.read_bytes())))
    code, out, err = run(api, ["apps:import", "moved"], capsys)
    assert (code, out) == (0, "Importing moved... done, 0 releases, current no release yet\n"), err
    assert services.store.get_config("moved") == {"GREETING": "hi"}


def test_failed_export_leaves_no_file(api, capsys, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, _, err = run(api, ["apps:export", "-a", "ghost", "-o", str(out_dir / "g.tar")], capsys)
    assert code == 1 and err == "paas: no such app: ghost\n"
    assert list(out_dir.iterdir()) == []


def test_import_of_garbage_is_one_line_and_creates_nothing(api, capsys, monkeypatch):
    _, _, services = api
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"not a tar" * 100)))
    code, _, err = run(api, ["apps:import", "moved"], capsys)
    assert code == 1 and err.startswith("paas: not a paas app archive") and err.count("\n") == 1
    assert services.store.list_apps() == []


def test_the_issues_form_archive_first_with_an_optional_new_name(api, capsys, tmp_path):
    _, _, services = api
    services.store.add_app("web")
    target = tmp_path / "web.tar"
    assert run(api, ["apps:export", "-a", "web", "-o", str(target)], capsys)[0] == 0
    code, out, err = run(api, ["apps:import", str(target), "--name", "copy"], capsys)
    assert (code, out) == (0, "Importing copy... done, 0 releases, current no release yet\n"), err
    services.apps.destroy("web")
    code, out, err = run(api, ["apps:import", str(target)], capsys)
    assert (code, out) == (0, "Importing web... done, 0 releases, current no release yet\n"), err
    code, _, err = run(api, ["apps:import", str(tmp_path / "missing.tar"), "--name", "x"], capsys)
    assert code == 1 and err == f"paas: no such archive: {tmp_path / 'missing.tar'}\n"
    (tmp_path / "junk.tar").write_bytes(b"junk" * 300)
    code, _, err = run(api, ["apps:import", str(tmp_path / "junk.tar")], capsys)
    assert code == 1 and "names no app" in err and err.count("\n") == 1
