import io
import tarfile

from paas.render.archive import deps_key, is_deps, read_files, retar, root_names, why_rebuilt


def tar_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return out.getvalue()


SOURCE = {"app/app.py": b"print(1)", "app/requirements.txt": b"flask\n", "app/Procfile": b"web: x"}


def members(data):
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: (m.uid, m.gid) for m in tar}


def test_retar_splits_deps_from_code_and_sets_the_owner():
    tree = tar_of({**SOURCE, "app/.heroku/python/bin/python": b"", "app/.profile.d/python.sh": b"",
                   "app/node_modules/express/index.js": b"", "app/node_modules_notes.txt": b""})
    deps = members(retar(tree, (1000, 1000), is_deps))
    code = members(retar(tree, (1000, 1000), lambda n: not is_deps(n)))
    assert set(deps) == {"app/.heroku/python/bin/python", "app/.profile.d/python.sh",
                         "app/node_modules/express/index.js"}
    del code["app/node_modules_notes.txt"]
    assert set(code) == set(SOURCE) and set(code.values()) == {(1000, 1000)}


def test_key_changes_with_dependency_inputs_not_with_code():
    args = dict(inputs=["requirements.txt", "runtime.txt"], stack="sha256:s", buildpacks="b",
                config={})
    key, hashes = deps_key(tar_of(SOURCE), **args)
    assert set(hashes) == {"requirements.txt"}
    assert deps_key(tar_of({**SOURCE, "app/app.py": b"print(2)"}), **args)[0] == key
    assert deps_key(tar_of({**SOURCE, "app/requirements.txt": b"flask==3\n"}), **args)[0] != key
    assert deps_key(tar_of(SOURCE), **{**args, "config": {"A": "1"}})[0] != key
    assert deps_key(tar_of(SOURCE), **{**args, "stack": "sha256:t"})[0] != key
    assert deps_key(tar_of({**SOURCE, "app/index.html": b""}), **args)[0] != key  # detection input


def test_helpers():
    assert read_files(tar_of(SOURCE), {"app/Procfile", "app/nope"}) == {"app/Procfile": b"web: x"}
    assert root_names(tar_of(SOURCE)) == ["Procfile", "app.py", "requirements.txt"]
    assert why_rebuilt(None, {}) == "first build of this app's dependencies"
    assert why_rebuilt({"requirements.txt": "a"}, {"requirements.txt": "b"}) == "requirements.txt changed"
