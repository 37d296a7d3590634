"""Moving an app between two platforms on one machine (issue 12): export an app with a volume
and a linked Postgres from one platform, import it into a second one (its own PAAS_HOME, ports
and instance label), and it serves the same body under the same release number, with the same
rows and the same file. A corrupted archive is refused with nothing created."""
from __future__ import annotations

import hashlib
import json

from tests.e2e.test_data import call, ok
from tests.support import start_platform, stop_platform


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_an_app_moves_to_a_second_platform_with_its_data(platform, tmp_path, tmp_path_factory):
    app = "mover"
    platform.deploy(app, "data-app", tmp_path)                                          # v1
    ok(platform.paas("services:create", "postgres", "movedb"))
    ok(platform.paas("storage:mount", "files:/data", "-a", app))                       # v2
    ok(platform.paas("services:link", "movedb", "-a", app))                            # v3
    ok(platform.paas("config:set", "GREETING=moved", "-a", app))                       # v4
    payload = "".join(f"line {n}\n" for n in range(800))  # under nginx's 16k body buffer
    assert call(platform, app, "POST", "/files/blob.txt", payload.encode())[0] == 200
    assert call(platform, app, "POST", "/rows/4", b"")[0] == 200
    before = call(platform, app, "GET", "/")
    archive = tmp_path / "mover.tar"
    out = platform.paas("apps:export", "-a", app, "-o", str(archive))
    assert out.returncode == 0 and archive.stat().st_size > 1_000_000, out.stderr

    second = start_platform(tmp_path_factory.mktemp("second"), "second", drain_seconds=1)
    try:
        corrupt = tmp_path / "corrupt.tar"
        data = bytearray(archive.read_bytes())
        data[len(data) // 2] ^= 0xFF
        corrupt.write_bytes(bytes(data))
        refused = second.paas("apps:import", app, str(corrupt))
        assert refused.returncode == 1 and "does not match its sha256" in refused.stderr, \
            refused.stderr
        assert refused.stderr.count("\n") == 1
        assert json.loads(ok(second.paas("apps", "--json"))) == []
        assert json.loads(ok(second.paas("services", "--json"))) == []

        out = ok(second.paas("apps:import", app, str(archive)))
        assert "done, 4 releases, current v4, 1 volumes, 1 services" in out, out
        assert second.wait_for(app, before[1].strip()) == before[1]
        assert call(second, app, "GET", "/rows")[1] == "4 ssl=True\n"
        status, body = call(second, app, "GET", "/files/blob.txt")
        assert status == 200 and sha256(body) == sha256(payload)
        releases = json.loads(ok(second.paas("releases", "-a", app, "--json")))
        assert max(r["version"] for r in releases) == 4
        config = json.loads(ok(second.paas("config", "-a", app, "--json")))
        assert config["GREETING"] == "moved"
        assert f"paas-{second.instance}-db-movedb" in config["DATABASE_URL"]
        # The old platform keeps serving its own copy.
        assert call(platform, app, "GET", "/rows")[1] == "4 ssl=True\n"
    finally:
        stop_platform(second)
