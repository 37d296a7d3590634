"""The app archive format: round trip, and every hostile shape refused with one clear line."""
from __future__ import annotations

import hashlib
import io
import json
import tarfile

import pytest

from paas.errors import InvalidInput
from paas.render import app_archive

MEMBERS = {"app.json": b'{"name": "web"}', "repo.bundle": b"bundle-bytes",
           "volumes/data.tar": b"x" * 1000}


def _raw(entries: list[tarfile.TarInfo | tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
            else:
                info = tarfile.TarInfo(entry[0])
                info.size = len(entry[1])
                tar.addfile(info, io.BytesIO(entry[1]))
    return out.getvalue()


def _manifest(members: dict[str, bytes]) -> bytes:
    return json.dumps({"format": app_archive.FORMAT, "meta": {}, "files": {
        n: {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b)} for n, b in members.items()}}
    ).encode()


def test_round_trip_is_exact_and_deterministic():
    data = app_archive.write({"app": "web", "release": 3}, MEMBERS)
    assert data == app_archive.write({"app": "web", "release": 3}, dict(reversed(MEMBERS.items())))
    got = app_archive.read(data)
    assert got.meta == {"app": "web", "release": 3}
    assert got.members == MEMBERS
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert tar.getnames()[0] == "manifest.json"
        assert {m.mode for m in tar} == {0o600}


@pytest.mark.parametrize("name", ["/etc/passwd", "../x", "a/../../x", "a//b", "./a", ".hidden",
                                  "a/..", "", "a\\b", "x" * 600])
def test_unsafe_names_are_refused_on_write_and_read(name):
    with pytest.raises(InvalidInput, match="unsafe name"):
        app_archive.write({}, {name: b"x"})
    with pytest.raises(InvalidInput):
        app_archive.read(_raw([("manifest.json", _manifest({})), (name or "x/", b"x")]))


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE,
                                  tarfile.CHRTYPE, tarfile.FIFOTYPE])
def test_links_directories_and_devices_are_refused(kind):
    info = tarfile.TarInfo("volumes/evil")
    info.type, info.linkname = kind, "/etc/shadow"
    with pytest.raises(InvalidInput, match="not a regular file"):
        app_archive.read(_raw([("manifest.json", _manifest({})), info]))


def test_tampered_member_is_refused():
    data = app_archive.write({}, MEMBERS).replace(b"bundle-bytes", b"bundle-BYTES")
    with pytest.raises(InvalidInput, match="'repo.bundle' does not match its sha256"):
        app_archive.read(data)


def test_truncated_archive_is_refused():
    data = app_archive.write({}, MEMBERS)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        last = tar.getmembers()[-1]
    for cut in (len(data) // 3, last.offset_data + 10, last.offset, 700):
        with pytest.raises(InvalidInput):
            app_archive.read(data[:cut])


def test_member_missing_from_the_archive_is_refused():
    body = _raw([("manifest.json", _manifest(MEMBERS)), ("app.json", MEMBERS["app.json"])])
    with pytest.raises(InvalidInput, match="is missing"):
        app_archive.read(body)


def test_member_not_in_the_manifest_is_refused():
    body = _raw([("manifest.json", _manifest({})), ("extra", b"x")])
    with pytest.raises(InvalidInput, match="'extra' is not in the manifest"):
        app_archive.read(body)


def test_manifest_must_come_first_and_once():
    with pytest.raises(InvalidInput, match="must be the first member"):
        app_archive.read(_raw([("a", b"x"), ("manifest.json", _manifest({"a": b"x"}))]))
    with pytest.raises(InvalidInput, match="appears twice"):
        app_archive.read(_raw([("manifest.json", _manifest({})), ("manifest.json", _manifest({}))]))
    with pytest.raises(InvalidInput, match="no manifest.json"):
        app_archive.read(_raw([]))


def test_duplicate_member_is_refused():
    body = _raw([("manifest.json", _manifest({"a": b"x"})), ("a", b"x"), ("a", b"x")])
    with pytest.raises(InvalidInput, match="appears twice"):
        app_archive.read(body)


def test_size_caps():
    data = app_archive.write({}, MEMBERS)
    with pytest.raises(InvalidInput, match="size cap"):
        app_archive.read(data, max_member=999)
    with pytest.raises(InvalidInput, match="size cap"):
        app_archive.read(data, max_total=500)
    with pytest.raises(InvalidInput, match="too many members"):
        app_archive.read(data, max_members=1)


@pytest.mark.parametrize("manifest", [b"not json", b"[]", b'{"format": "other/1"}',
                                      json.dumps({"format": app_archive.FORMAT}).encode(),
                                      json.dumps({"format": app_archive.FORMAT, "meta": {},
                                                  "files": {"a": {"size": "1"}}}).encode()])
def test_bad_manifests_are_refused(manifest):
    with pytest.raises(InvalidInput):
        app_archive.read(_raw([("manifest.json", manifest)]))


def test_garbage_is_refused_with_one_line():
    with pytest.raises(InvalidInput, match="not a paas app archive") as err:
        app_archive.read(b"\x00garbage" * 100)
    assert "\n" not in err.value.message
