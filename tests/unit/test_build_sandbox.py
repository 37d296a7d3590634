"""Builds run hostile code: what they leave behind is read as data, never followed, and each
build runs on a network of its own. Unit tests over the fake engine and the pure tar readers."""
import io
import tarfile

import pytest

from paas.errors import DeployFailed, InvalidInput
from paas.render.archive import files_tar, rebase, regular_files
from tests.unit.test_deploy import SHA1, world  # noqa: F401  (the fixture)


def tar_with(*members: tuple[str, str, bytes | str]) -> bytes:
    """(name, kind, body or link target): kind is file, dir, symlink or hardlink."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, kind, body in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                         "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE}[kind]
            info.linkname = body if isinstance(body, str) else ""
            tar.addfile(info)
    return out.getvalue()


def test_regular_result_files_are_read():
    data = tar_with(("paas-results", "dir", b""), ("paas-results/buildpack", "file", b"python\n"),
                    ("paas-results/release.yml", "file", b"x: 1\n"))
    assert regular_files(data, "paas-results/", 1024) == {"buildpack": b"python\n",
                                                          "release.yml": b"x: 1\n"}


@pytest.mark.parametrize("kind,target", [("symlink", "/var/lib/paas/admin-token"),
                                         ("hardlink", "paas-results/release.yml"),
                                         ("fifo", b"")])
def test_a_result_that_is_a_link_or_special_file_is_refused(kind, target):
    data = tar_with(("paas-results/release.yml", "file", b"x: 1\n"),
                    ("paas-results/buildpack", kind, target))
    with pytest.raises(InvalidInput, match="'buildpack' as a link or special file"):
        regular_files(data, "paas-results/", 1024)


def test_a_result_too_large_or_nested_is_refused():
    with pytest.raises(InvalidInput, match="larger than 1 KiB"):
        regular_files(tar_with(("paas-results/buildpack", "file", b"x" * 1025)), "paas-results/", 1024)
    with pytest.raises(InvalidInput, match="unexpected result"):
        regular_files(tar_with(("paas-results/a/b", "file", b"x")), "paas-results/", 1024)


def test_rebase_moves_members_under_the_directory_and_owns_them():
    data = tar_with(("app/app.py", "file", b"1"), ("app/lib", "dir", b""),
                    ("app/link", "symlink", "app.py"), ("other", "file", b"x"))
    with tarfile.open(fileobj=io.BytesIO(rebase(data, "app/", (1000, 1000)))) as tar:
        got = [(m.name, m.uid, m.gid, m.linkname) for m in tar]
    assert got == [("app.py", 1000, 1000, ""), ("lib", 1000, 1000, ""),
                   ("link", 1000, 1000, "app.py")]


def test_rebase_gives_every_directory_an_entry_owned_by_the_build_user():
    """A git archive names no directories: without entries Docker makes them root-owned, and a
    build (pip building a local package, a finalize step) could not write in them."""
    data = tar_with(("app/pkg/sub/setup.py", "file", b"1"), ("app/pkg/x.py", "file", b"2"),
                    ("app/pkg", "dir", b""))
    with tarfile.open(fileobj=io.BytesIO(rebase(data, "app/", (1000, 1000)))) as tar:
        got = [(m.name, m.isdir(), m.uid) for m in tar]
    assert got == [("pkg", True, 1000), ("pkg/sub", True, 1000), ("pkg/sub/setup.py", False, 1000),
                   ("pkg/x.py", False, 1000)]


def test_files_tar_makes_owned_private_files_and_dirs():
    made = files_tar({"K": b"v"}, (1000, 1000), dirs=("app",), root_dirs=("env",))
    with tarfile.open(fileobj=io.BytesIO(made)) as tar:
        got = [(m.name, m.type, oct(m.mode), m.uid) for m in tar]
    assert got == [("app", tarfile.DIRTYPE, "0o755", 1000), ("env", tarfile.DIRTYPE, "0o755", 0),
                   ("K", tarfile.REGTYPE, "0o400", 1000)]


def test_a_build_result_linked_to_the_admin_token_fails_the_build_and_leaks_nothing(world):
    """The attack of issue 9: the build replaced its buildpack-name file with a link to
    $PAAS_HOME/admin-token, and the platform read the token back as the build's buildpack."""
    token = "sekrit-admin-token-value"
    (world.settings.home / "admin-token").write_text(token)
    world.engine.results_tar = tar_with(
        ("paas-results/buildpack", "symlink", str(world.settings.home / "admin-token")),
        ("paas-results/release.yml", "file", b"default_process_types: {}\n"))
    lines = []
    with pytest.raises(DeployFailed, match="'buildpack' as a link or special file"):
        world.deployer.deploy_push("hello", SHA1, lines.append)
    build = world.store.get_build(world.store.list_builds("hello")[0].id)
    assert build.status == "failed" and " !     the build left 'buildpack' as a link" in build.output
    assert token not in build.output and not build.buildpack
    assert token not in "\n".join(lines)


def test_each_build_runs_on_its_own_network_removed_afterwards(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    [(name, existed)] = world.engine.build_networks
    assert name == "paas-t1-build-1" and existed
    assert name not in world.engine.networks  # gone with the build


def test_config_reaches_the_build_through_the_docker_api_not_a_host_file(world):
    world.store.replace_config("hello", {"SECRET": "s3"})
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    with tarfile.open(fileobj=io.BytesIO(world.engine.last_archives["/env"])) as tar:
        [member] = tar.getmembers()
        assert (member.name, oct(member.mode), member.uid) == ("SECRET", "0o400", 1000)
        assert tar.extractfile(member).read() == b"s3"
    assert not (world.settings.home / "builds").exists()
    spec = world.engine.build_specs[-1]
    assert all(v["mode"] == "ro" for v in spec["volumes"].values())


def test_a_dockerfile_build_runs_its_steps_on_the_builds_own_network(world):
    from tests.unit.test_deploy import dockerfile_app
    dockerfile_app(world)
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    assert world.engine.docker_builds[0]["network"] == "paas-t1-build-1"
    assert world.engine.build_networks == [("paas-t1-build-1", True)]
    assert "paas-t1-build-1" not in world.engine.networks


def test_a_build_that_prints_without_end_is_cut_at_the_output_cap(world, monkeypatch):
    from paas.services import builder
    monkeypatch.setattr(builder, "MAX_OUTPUT", 100)
    world.engine.build_lines = [f"line {i:03d} " + "x" * 20 for i in range(50)]
    lines = []
    world.deployer.deploy_push("hello", SHA1, lines.append)
    notice = " !     The build printed more than 0 MiB; the rest of its output is not kept or shown"
    assert lines.count(notice) == 1 and not any(l.startswith("line 010") for l in lines)
    build = world.store.get_build(world.store.list_builds("hello")[0].id)
    assert len(build.output) < 400 and notice in build.output


def test_a_line_without_end_is_cut_into_pieces():
    from paas.adapters.docker_engine import MAX_LINE, _stream_lines
    got = []
    _stream_lines([b"a" * (MAX_LINE * 2 + 5), b"\nend"], got.append)
    assert [len(l) for l in got] == [MAX_LINE, MAX_LINE, 5, 3]
