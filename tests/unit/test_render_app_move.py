"""The bulk members of an app archive: image archives lose their tags before a load, volume
archives stay inside their directory, links point at this platform's services."""
from __future__ import annotations

import io
import json
import tarfile

import pytest

from paas.errors import InvalidInput
from paas.render import app_move


def _tar(entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for info, body in entries:
            if body is not None:
                info.size = len(body)
            tar.addfile(info, io.BytesIO(body) if body is not None else None)
    return out.getvalue()


def _file(name: str, body: bytes) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), body


def image_archive(images: dict[str, str], extra: list | None = None) -> bytes:
    """A `docker save` archive (Docker 20's layout) of images ref -> config hex."""
    manifest = [{"Config": f"{hexid}.json", "RepoTags": [ref], "Layers": [f"{hexid}/layer.tar"]}
                for ref, hexid in images.items()]
    entries = [_file("manifest.json", json.dumps(manifest).encode()),
               _file("repositories", json.dumps({r: hexid for r, hexid in images.items()}).encode())]
    for hexid in images.values():
        entries += [_file(f"{hexid}.json", b"{}"), _file(f"{hexid}/layer.tar", b"")]
    return _tar(entries + (extra or []))


def volume_archive(files: dict[str, bytes], top: str = "v") -> bytes:
    root = tarfile.TarInfo(top)
    root.type, root.uid, root.gid = tarfile.DIRTYPE, 1000, 1000
    return _tar([(root, None)] + [_file(f"{top}/{n}", b) for n, b in files.items()])


def test_an_image_archive_is_loaded_by_id_with_every_tag_dropped():
    hexid = "ab" * 32
    archive = image_archive({"paas/web:t1-3": hexid})
    assert app_move.image_ids(archive) == {"paas/web:t1-3": f"sha256:{hexid}"}
    clean = app_move.untagged(archive)
    assert app_move.image_ids(clean) == {}
    with tarfile.open(fileobj=io.BytesIO(clean)) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert "repositories" not in names and f"{hexid}/layer.tar" in names
    assert manifest == [{"Config": f"{hexid}.json", "RepoTags": None,
                         "Layers": [f"{hexid}/layer.tar"]}]


def test_a_hostile_image_archive_is_refused():
    with pytest.raises(InvalidInput, match="manifest.json"):
        app_move.image_ids(_tar([_file("x", b"")]))
    bad = _tar([_file("manifest.json", json.dumps([{"Config": "../../etc/passwd"}]).encode())])
    with pytest.raises(InvalidInput, match="names no image ID"):
        app_move.image_ids(bad)
    fifo = tarfile.TarInfo("pipe")
    fifo.type = tarfile.FIFOTYPE
    with pytest.raises(InvalidInput, match="not a file, directory or link"):
        app_move.untagged(image_archive({"a:b": "cd" * 32}, extra=[(fifo, None)]))


def test_a_volume_archive_stays_inside_its_directory():
    assert app_move.check_volume_tar(volume_archive({"a.txt": b"1", "b": b"2"})) == 2
    for name in ("etc/passwd", "/v/x", "v/../x", "v/./x"):
        with pytest.raises(InvalidInput, match="outside its directory"):
            app_move.check_volume_tar(_tar([_file(name, b"x")]))
    link = tarfile.TarInfo("v/hard")
    link.type, link.linkname = tarfile.LNKTYPE, "etc/shadow"
    with pytest.raises(InvalidInput, match="hard link target"):
        app_move.check_volume_tar(_tar([link_ok := _file("v/f", b"x"), (link, None)]))
    assert link_ok
    dev = tarfile.TarInfo("v/sda")
    dev.type = tarfile.BLKTYPE
    with pytest.raises(InvalidInput, match="device or fifo"):
        app_move.check_volume_tar(_tar([(dev, None)]))
    with pytest.raises(InvalidInput, match="not a tar"):
        app_move.check_volume_tar(b"junk" * 200)


def test_member_names_and_link_rewrites():
    assert app_move.member_kind("images.tar") == ("images", "")
    assert app_move.member_kind("volumes/files.tar") == ("volume", "files")
    assert app_move.member_kind("services/db.backup") == ("service", "db")
    assert app_move.member_kind("volumes/../x.tar") is None
    assert app_move.member_kind("services/DB.backup") is None
    links = [{"service": "db", "as": "DATABASE_URL", "kind": "postgres"}]
    assert app_move.url_rewrites({"DATABASE_URL": "old", "X": "1"}, links, {"db": "new"}) == \
        {"DATABASE_URL": "new", "X": "1"}
    assert app_move.imported_ref("web", "t2", 1) == ("paas/web", "t2-import-1")
