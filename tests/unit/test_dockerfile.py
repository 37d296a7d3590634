"""Dockerfile builds: what goes to docker build, which processes and specs come of it."""
import io
import tarfile

import pytest

from paas.domain.models import Release
from paas.errors import InvalidInput
from paas.render.container import ImageFacts, image_facts, oneoff_spec, process_spec
from paas.render.dockerfile import build_args, build_context, dockerfile_processes, uses_dockerfile
from tests.unit.test_archive import tar_of

RELEASE = Release(app="box", version=2, image="paas/box:p1-4", config={"A": "1"},
                  processes={"web": "", "worker": "python3 w.py"}, commit="c" * 40,
                  description="Deploy ccccccc", status="pending", created_by="admin", created_at=0.0)
IMAGE = {"labels": {"paas.builder": "dockerfile"}, "exposed": ["8000/tcp"], "user": "",
         "cmd": ["python3", "-m", "http.server"], "entrypoint": []}


def test_a_dockerfile_is_used_unless_buildpacks_are_named():
    assert uses_dockerfile(["Dockerfile", "app.py"])
    assert not uses_dockerfile(["Dockerfile", ".buildpacks"])
    assert not uses_dockerfile(["dockerfile", "requirements.txt"])


def test_build_context_is_the_pushed_tree_rooted_at_its_top():
    context = build_context(tar_of({"app/Dockerfile": b"FROM x\n", "app/src/a.py": b"1", "other": b""}))
    with tarfile.open(fileobj=io.BytesIO(context)) as tar:
        assert tar.getnames() == ["Dockerfile", "src/a.py"]
        assert tar.extractfile("Dockerfile").read() == b"FROM x\n"


def test_build_args_only_those_the_app_names():
    app_json = '{"dockerfile": {"build_args": ["TOKEN", "MISSING"]}}'
    assert build_args(app_json, {"TOKEN": "t", "SECRET": "s"}) == ({"TOKEN": "t"}, ["MISSING"])
    assert build_args(None, {"SECRET": "s"}) == ({}, [])
    assert build_args('{"healthchecks": {}}', {"SECRET": "s"}) == ({}, [])
    with pytest.raises(InvalidInput, match="must be a list of config var names"):
        build_args('{"dockerfile": {"build_args": "TOKEN"}}', {})
    with pytest.raises(InvalidInput):
        build_args('{"dockerfile": {"build_args": ["1BAD"]}}', {})


def test_processes_from_the_procfile_else_the_image_command():
    assert dockerfile_processes("web: ./serve\nworker: ./work\n", IMAGE) == {"web": "./serve", "worker": "./work"}
    assert dockerfile_processes(None, IMAGE) == {"web": ""}
    assert dockerfile_processes(None, {**IMAGE, "cmd": [], "entrypoint": ["/serve"]}) == {"web": ""}
    with pytest.raises(InvalidInput, match="sets no CMD or ENTRYPOINT and there is no Procfile"):
        dockerfile_processes(None, {**IMAGE, "cmd": []})


def test_image_facts():
    assert image_facts({"labels": {}, "exposed": ["8000/tcp"]}) == ImageFacts()  # buildpack image
    assert image_facts(IMAGE) == ImageFacts(dockerfile=True, port=8000, user="1000:1000")
    assert image_facts({**IMAGE, "exposed": ["80/tcp", "443/tcp"]}).port == 5000
    assert image_facts({**IMAGE, "exposed": ["53/udp"]}).port == 5000
    assert image_facts({**IMAGE, "user": "app"}).user == "app"
    assert image_facts({**IMAGE, "user": "0:0"}).user == "1000:1000"


def test_dockerfile_web_keeps_the_image_command_workdir_and_listens_on_its_port():
    facts = image_facts(IMAGE)
    spec = process_spec(instance="p1", release=RELEASE, process="web", index=1, nonce="n", facts=facts)
    assert "command" not in spec and "working_dir" not in spec
    assert "ports" not in spec  # reached at its address on the app network, not on the host
    assert spec["environment"] == {"A": "1", "DYNO": "web.1", "PORT": "8000"}
    assert spec["user"] == "1000:1000" and spec["cap_drop"] == ["ALL"]
    worker = process_spec(instance="p1", release=RELEASE, process="worker", index=1, nonce="n", facts=facts)
    assert worker["command"] == ["/bin/sh", "-c", "python3 w.py"]
    run = oneoff_spec(instance="p1", release=RELEASE, command="ls -l", nonce="n", facts=facts)
    assert run["command"] == ["/bin/sh", "-c", "ls -l"] and "ports" not in run
