"""The build base image carries uv (issue 14): the platform's own binary, root's and read-only
to the build, so a first build downloads the app's packages and not the installer; a new uv
makes a new base."""
import io
import tarfile

from paas.render.archive import files_tar
from paas.services.build_sandbox import UV_IN_BUILD, uv_binary
from tests.unit.test_deploy import SHA1, world  # noqa: F401  (the fixture)


def test_tools_in_a_files_tar_are_roots_and_executable():
    made = files_tar({"K": b"v"}, (1000, 1000), tools={"opt/paas/bin/uv": b"\x7fELF"})
    with tarfile.open(fileobj=io.BytesIO(made)) as tar:
        got = {m.name: (oct(m.mode), m.uid, m.gid) for m in tar}
    assert got == {"K": ("0o400", 1000, 1000), "opt/paas/bin/uv": ("0o755", 0, 0)}


def test_the_build_base_has_the_platforms_uv_and_is_keyed_on_its_version(world):
    version, path = uv_binary()  # a dependency of paas: present wherever paas is installed
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    [(ref, labels)] = [(r, l) for r, l in world.engine.images.items()
                       if l["paas.kind"] == "build-base"]
    assert labels["paas.uv"] == version and ref.endswith(f"-uv{version}")
    _, archive = world.engine.layers[ref]
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = tar.getmember(UV_IN_BUILD.lstrip("/"))
        body = tar.extractfile(member).read()
        dirs = {m.name: (m.uid, oct(m.mode)) for m in tar if m.isdir()}
    assert (member.uid, member.gid, oct(member.mode)) == (0, 0, "0o755")
    assert body == open(path, "rb").read()
    # The build user may write its volumes, never the tool's directories.
    assert dirs["opt/paas/bin"] == (0, "0o755") and dirs["app"][0] == 1000
