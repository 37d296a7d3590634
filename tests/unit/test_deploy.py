"""The deploy flow against fakes: build → release → start → check → route → retire."""
import re
from types import SimpleNamespace

import pytest

from paas.errors import DeployFailed
from tests.fakes import FakeEngine, FakeProbe, FakeProxy, FakeRepos, fake_services

SHA1, SHA2 = "1" * 40, "2" * 40


@pytest.fixture
def world(tmp_path):
    engine, probe, proxy, repos = FakeEngine(), FakeProbe(), FakeProxy(), FakeRepos(tmp_path)
    services = fake_services(tmp_path / "home", engine=engine, probe=probe, proxy=proxy, repos=repos)
    services.apps.create("hello")
    proxy.ensure_running()
    return SimpleNamespace(settings=services.settings, store=services.store, engine=engine,
                           probe=probe, proxy=proxy, repos=repos, deployer=services.deployer,
                           apps=services.apps, releases=services.releases,
                           services_processes=services.processes,
                           scheduler=services.deployer.scheduler, converger=services.converger,
                           logs=services.logs, domains=services.domains, builds=services.builds)


def test_push_builds_releases_starts_and_routes(world):
    lines = []
    release = world.deployer.deploy_push("hello", SHA1, lines.append)
    assert release.version == 1
    assert release == world.store.get_release("hello", 1) and release.status == "succeeded"
    assert world.store.current_release("hello").image == "paas/hello:t1-1"
    assert world.store.list_builds("hello")[0].status == "succeeded"
    assert world.store.list_builds("hello")[0].buildpack == "python"
    [web] = world.engine.running()
    assert web.labels["paas.process"] == "web" and web.labels["paas.release"] == "1"
    assert f"server {web.address} " in world.proxy.files["hello"]
    assert "-----> Python app detected" in lines
    assert lines[-1] == "       http://hello.localhost:8080/ deployed"
    assert world.engine.builds == 1
    assert not (world.settings.home / "builds" / "1").exists()


def test_a_deploy_says_where_its_time_went(world):
    lines = []
    world.deployer.deploy_push("hello", SHA1, lines.append)
    [timings] = [l for l in lines if "healthy" in l]
    assert re.fullmatch(r"       started in \d+\.\d\ds, healthy \d+\.\d\ds later, "
                        r"routed in \d+\.\d\ds", timings)
    assert lines.index(timings) == lines.index("       starting web.1") + 1
    lines.clear()
    world.services_processes.scale("hello", {"web": 0}, lines.append)  # nothing started
    assert not any("healthy" in l for l in lines)


def test_second_push_replaces_the_old_containers(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.deployer.deploy_push("hello", SHA2, lambda _: None)
    [web] = world.engine.running()
    assert web.labels["paas.release"] == "2"
    stopped = [c for c in world.engine.containers.values() if c.status == "exited"]
    assert [c.labels["paas.release"] for c in stopped] == ["1"]  # kept, stopped, for its logs
    assert [r.status for r in world.store.list_releases("hello")] == ["succeeded", "succeeded"]


def test_failed_build_makes_no_release_and_keeps_the_old_one(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    routed = world.proxy.files["hello"]
    world.engine.build_exit = 1
    world.repos.files["requirements.txt"] = b"no-such-package\n"
    lines = []
    with pytest.raises(DeployFailed, match="build failed"):
        world.deployer.deploy_push("hello", SHA2, lines.append)
    assert [r.version for r in world.store.list_releases("hello")] == [1]
    assert world.store.list_builds("hello")[0].status == "failed"
    # The reason is the caller's to show (a push's last line); the build's log keeps it too.
    assert not any("build failed" in l for l in lines)
    [failed, _] = world.store.list_builds("hello")
    assert world.store.get_build(failed.id).output.endswith(
        " !     build failed (exit status 1); see the output above")
    assert world.proxy.files["hello"] == routed
    assert [c.labels["paas.release"] for c in world.engine.running()] == ["1"]


def test_crash_on_boot_fails_the_release_shows_logs_and_keeps_the_old_one(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    routed = world.proxy.files["hello"]
    world.engine.crash_processes.add("web")
    lines = []
    with pytest.raises(DeployFailed, match=r"v2 failed: web.1 crashed on boot \(exit status 1\)"):
        world.deployer.deploy_push("hello", SHA2, lines.append)
    assert "       Traceback: boom" in lines
    assert world.store.current_release("hello").version == 1
    assert world.store.list_releases("hello")[0].status == "failed"
    assert world.proxy.files["hello"] == routed
    assert [c.labels["paas.release"] for c in world.engine.running()] == ["1"]
    # the failed container is kept stopped for its logs (paas logs --release v2)
    assert sorted((c.labels["paas.release"], c.status) for c in
                  world.engine.list_containers({"paas.kind": "process"})) == [
        ("1", "running"), ("2", "exited")]


def test_web_that_never_answers_fails_with_the_bind_hint(world):
    world.probe.status = None
    with pytest.raises(DeployFailed, match="listen on 0.0.0.0:\\$PORT"):
        world.deployer.deploy_push("hello", SHA1, lambda _: None)
    assert [c.status for c in world.engine.list_containers({"paas.kind": "process"})] == ["exited"]
    assert "hello" not in world.proxy.files


def test_web_answering_5xx_fails(world):
    world.probe.status = 502
    with pytest.raises(DeployFailed, match="answered / with status 502"):
        world.deployer.deploy_push("hello", SHA1, lambda _: None)


def test_bad_procfile_fails_the_build(world):
    world.repos.files["Procfile"] = b"web: a\nweb: b\n"
    with pytest.raises(DeployFailed) as err:
        world.deployer.deploy_push("hello", SHA1, lambda _: None)
    assert "Procfile line 2" in err.value.message
    assert world.store.list_releases("hello") == []


def test_destroy_removes_everything(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.apps.destroy("hello")
    assert world.engine.containers == {}
    # The build base image is the platform's, shared by every app's builds.
    assert [labels["paas.kind"] for labels in world.engine.images.values()] == ["build-base"]
    assert world.engine.removed_volumes == ["paas-t1-hello-build-cache", "paas-t1-hello-cache"]
    assert "hello" not in world.proxy.files and "hello" not in world.repos.apps
    assert world.store.get_app("hello") is None


def test_config_change_is_one_release_with_the_same_image(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    release = world.releases.change_config("hello", {"A": "x=1\nü"}, [], "admin", lambda _: None)
    assert release.version == 2 and release.description == "Set A config vars"
    assert release.image == "paas/hello:t1-1" and release.config == {"A": "x=1\nü"}
    [web] = world.engine.running()
    assert web.spec["environment"]["A"] == "x=1\nü" and web.labels["paas.release"] == "2"


def test_config_before_the_first_deploy_makes_no_release(world):
    assert world.releases.change_config("hello", {"A": "1"}, [], "admin", lambda _: None) is None
    assert world.store.get_config("hello") == {"A": "1"}
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    assert world.store.current_release("hello").config == {"A": "1"}


def test_failed_config_deploy_restores_the_config(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.engine.crash_processes.add("web")
    with pytest.raises(DeployFailed):
        world.releases.change_config("hello", {"A": "1"}, [], "admin", lambda _: None)
    assert world.store.get_config("hello") == {}
    assert world.store.current_release("hello").version == 1


def test_rollback_brings_back_image_and_config(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.releases.change_config("hello", {"A": "old"}, [], "admin", lambda _: None)   # v2
    world.deployer.deploy_push("hello", SHA2, lambda _: None)                         # v3
    world.releases.change_config("hello", {"A": "new"}, [], "admin", lambda _: None)   # v4
    back = world.releases.rollback("hello", "v2", "admin", lambda _: None)
    assert back.version == 5 and back.description == "Rollback to v2"
    assert back.image == "paas/hello:t1-1" and back.config == {"A": "old"}
    assert world.store.get_config("hello") == {"A": "old"}
    default = world.releases.rollback("hello", None, "admin", lambda _: None)
    assert default.description == "Rollback to v4" and default.config == {"A": "new"}


@pytest.mark.parametrize("version,message", [
    ("v0", "invalid release"), ("vX", "invalid release"), ("v9", "no release v9"),
])
def test_rollback_to_bad_versions(world, version, message):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    with pytest.raises(Exception, match=message):
        world.releases.rollback("hello", version, "admin", lambda _: None)
    assert len(world.store.list_releases("hello")) == 1


def test_rollback_to_failed_or_expired_release(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.engine.crash_processes.add("web")
    with pytest.raises(DeployFailed):
        world.deployer.deploy_push("hello", SHA2, lambda _: None)
    world.engine.crash_processes.clear()
    with pytest.raises(Exception, match="that release failed"):
        world.releases.rollback("hello", "v2", "admin", lambda _: None)
    world.engine.remove_image("paas/hello:t1-1")
    world.deployer.deploy_push("hello", SHA2, lambda _: None)
    with pytest.raises(Exception, match="image was removed by image retention"):
        world.releases.rollback("hello", "v1", "admin", lambda _: None)


def test_old_images_are_collected_but_retained_ones_kept(world):
    object.__setattr__(world.settings, "keep_releases", 2)
    for n in range(4):
        world.deployer.deploy_push("hello", str(n) * 40, lambda _: None)
    mine = sorted(r for r in world.engine.images if r.startswith("paas/hello:"))
    assert mine[:2] == ["paas/hello:t1-3", "paas/hello:t1-4"]
    assert mine[2].startswith("paas/hello:t1-deps-")  # they share it


def test_draining_containers_are_never_kept_by_the_next_change(world):
    """A restart retires web.1 while it drains; a scale right after must not pick the draining
    web.1 (same release, same slot) over the new one."""
    object.__setattr__(world.settings, "drain_seconds", 30)
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.services_processes.restart("hello", None, lambda _: None)
    draining = [c for c in world.engine.running() if c.id in world.scheduler._draining]
    assert len(draining) == 1
    world.services_processes.scale("hello", {"web": 2}, lambda _: None)
    routed = world.proxy.files["hello"]
    assert f"{draining[0].address} " not in routed
    assert routed.count("server 10.200.") == 2


def test_convergence_replaces_dead_containers_reroutes_and_restarts_nginx(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    converger = world.converger
    assert converger.once() == []  # converged: nothing to do, no reload
    [web] = world.engine.running()
    web.status = "exited"  # died behind our back
    world.proxy.running = False
    actions = converger.once()
    assert actions == ["started nginx", "hello: started 1, retired 0"]
    [new] = world.engine.running()
    assert new.id != web.id and f"{new.address} " in world.proxy.files["hello"]
    new.addresses = {"paas-t1-hello": "10.200.0.99"}  # dockerd restarted it at another address
    assert converger.once() == ["hello: routed to current addresses"]
    assert "server 10.200.0.99:5000 " in world.proxy.files["hello"]


def test_convergence_leaves_an_app_alone_while_it_deploys(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.engine.running()[0].status = "exited"
    with world.deployer.lock("hello"):
        assert world.converger.once() == []
    assert world.converger.once() == ["hello: started 1, retired 0"]


def test_logs_merge_containers_and_events_in_time_order(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.services_processes.scale("hello", {"web": 2}, lambda _: None)
    web1, web2 = sorted(world.engine.running(), key=lambda c: c.labels["paas.index"])
    world.engine.output[web1.id] = [("2030-01-01T00:00:01.000000001Z", "first"),
                                    ("2030-01-01T00:00:03.5Z", "third")]
    world.engine.output[web2.id] = [("2030-01-01T00:00:02Z", "second")]
    lines = world.logs.recent("hello", 100)
    assert lines[-3:] == ["2030-01-01T00:00:01.000000+00:00 app[web.1]: first",
                          "2030-01-01T00:00:02.000000+00:00 app[web.2]: second",
                          "2030-01-01T00:00:03.500000+00:00 app[web.1]: third"]
    events = [l.split(" ", 1)[1] for l in lines[:-3]]
    assert events == ["paas[deploy]: v1 (Deploy 1111111) by admin: starting",
                      "paas[deploy]: v1 is live", "paas[scale]: formation web=2"]
    assert world.logs.recent("hello", 2) == lines[-2:]


def test_follow_yields_new_lines_only_once(world, monkeypatch):
    from paas.services import logs as logs_module
    monkeypatch.setattr(logs_module, "FOLLOW_POLL", 0)
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    [web] = world.engine.running()
    world.engine.output[web.id] = [("2030-01-01T00:00:01Z", "a")]
    stream = world.logs.follow("hello", 100)
    seen = [next(stream) for _ in range(3)]
    assert seen[-1].endswith("app[web.1]: a")
    world.engine.output[web.id].append(("2030-01-01T00:00:02Z", "b"))
    assert next(stream).endswith("app[web.1]: b")


def test_domains_route_without_restart_and_belong_to_one_app(world):
    from paas.errors import Conflict, InvalidInput
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.apps.create("other")
    [web] = world.engine.running()
    assert world.domains.add("hello", "WWW.Example.com") == ["hello.localhost", "www.example.com"]
    assert "server_name hello.localhost www.example.com;" in world.proxy.files["hello"]
    assert world.engine.running() == [web]
    with pytest.raises(Conflict, match="already used by hello"):
        world.domains.add("other", "www.example.com")
    with pytest.raises(Conflict, match="default host of app other"):
        world.domains.add("hello", "other.localhost")
    with pytest.raises(InvalidInput):
        world.domains.add("hello", "bad domain;")
    assert world.domains.remove("hello", "www.example.com") == ["hello.localhost"]
    assert "www.example.com" not in world.proxy.files["hello"]


APP_JSON = '{"healthchecks": {"web": [{"path": "/ready", "content": "ready", "attempts": 2, "timeout": 0.05, "wait": 0.05}]}}'


def test_declared_checks_are_polled_on_their_path_and_content(world):
    world.repos.files["app.json"] = APP_JSON.encode()
    world.probe.body = "not yet"
    with pytest.raises(DeployFailed, match="health check /ready answered without 'ready'"):
        world.deployer.deploy_push("hello", SHA1, lambda _: None)
    assert set(world.probe.paths) == {"/ready"}
    world.probe.body = "ready!"
    release = world.deployer.deploy_push("hello", SHA1, lambda _: None)
    assert release.healthchecks["web"][0]["path"] == "/ready"
    world.probe.status = 404
    with pytest.raises(DeployFailed, match="health check /ready answered status 404"):
        world.releases.change_config("hello", {"A": "1"}, [], "admin", lambda _: None)


def test_invalid_app_json_fails_the_build(world):
    world.repos.files["app.json"] = b'{"healthchecks": {"web": [{"path": "ready"}]}}'
    with pytest.raises(DeployFailed, match="path must start with '/'"):
        world.deployer.deploy_push("hello", SHA1, lambda _: None)
    assert world.store.list_releases("hello") == []


def test_ps_shows_restarts_and_oom_kills(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    [web] = world.engine.running()
    web.restart_count, web.oom_killed, web.started_at = 2, True, "2030-01-01T00:00:00.5Z"
    [p] = world.services_processes.ps("hello")
    assert (p.name, p.state, p.release, p.restarts, p.oom_killed) == ("web.1", "running", 1, 2, True)
    web.status = "exited"  # killed for memory and not restarted: still shown, with why
    assert world.services_processes.ps("hello")[0].oom_killed


def test_release_phase_runs_once_before_traffic_and_can_fail_the_deploy(world):
    world.repos.files["Procfile"] = b"web: gunicorn app:app\nrelease: python migrate.py\n"
    lines = []
    world.deployer.deploy_push("hello", SHA1, lines.append)
    assert world.engine.one_offs == ["python migrate.py"]
    assert "-----> Running release command: python migrate.py" in lines
    assert [c.labels["paas.process"] for c in world.engine.running()] == ["web"]
    routed = world.proxy.files["hello"]
    world.engine.one_off_status = 3
    with pytest.raises(DeployFailed, match="release command exited with status 3"):
        world.deployer.deploy_push("hello", SHA2, lambda _: None)
    assert world.store.current_release("hello").version == 1
    assert world.proxy.files["hello"] == routed
    assert [c.labels["paas.release"] for c in world.engine.running()] == ["1"]
    with pytest.raises(Exception, match="runs once per release"):
        world.services_processes.scale("hello", {"release": 1}, lambda _: None)


def test_code_only_change_reuses_the_dependency_layer(world):
    first = []
    world.deployer.deploy_push("hello", SHA1, first.append)
    assert "       dependencies layer " in "\n".join(first) and "first build" in "\n".join(first)
    lines = []
    world.deployer.deploy_push("hello", SHA2, lines.append)
    assert world.engine.builds == 1  # no build container for a code-only change
    assert any(l.startswith("-----> Dependencies unchanged, reusing layer ") for l in lines)
    assert "-----> Using buildpack: python" in lines
    base, code = world.engine.layers["paas/hello:t1-2"]
    assert base.startswith("paas/hello:t1-deps-")
    assert world.engine.layers["paas/hello:t1-1"][0] == base
    world.repos.files["requirements.txt"] = b"flask==3.1\n"
    lines = []
    world.deployer.deploy_push("hello", "3" * 40, lines.append)
    assert world.engine.builds == 2
    assert any("requirements.txt changed" in l for l in lines)
    assert len(world.engine.find_images({"paas.kind": "deps"})) == 2


def test_unused_dependency_layers_are_collected(world):
    object.__setattr__(world.settings, "keep_releases", 1)
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.repos.files["requirements.txt"] = b"flask==3.1\n"
    world.deployer.deploy_push("hello", SHA2, lambda _: None)
    assert len(world.engine.find_images({"paas.kind": "deps"})) == 1
    assert len(world.engine.find_images({"paas.kind": "image"})) == 1


def test_restart_rolls_one_container_at_a_time(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.services_processes.scale("hello", {"web": 3}, lambda _: None)
    before = {c.id for c in world.engine.running()}
    routes = []
    real_route = world.deployer.router.ensure  # a deploy routes when the app's file changes
    world.deployer.router.ensure = lambda app, ports, backups=(): (routes.append(len(ports)),
                                                                    real_route(app, ports, backups))
    world.services_processes.restart("hello", "web", lambda _: None)
    after = {c.id for c in world.engine.running()}
    assert len(after) == 3 and not (before & after)
    assert routes == [3, 3, 3]  # every swap kept three web containers routed


def test_each_app_network_gets_its_own_subnet_around_taken_ones(world):
    world.engine.steal_subnets.append("10.200.0.0/24")  # taken by another platform meanwhile
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.apps.create("second")
    world.scheduler.ensure_network("second")
    world.scheduler.ensure_network("second")  # exists: nothing new
    subnets = {name: n["subnet"] for name, n in world.engine.networks.items()}
    assert subnets == {"paas-t1-hello": "10.200.1.0/24", "paas-t1-second": "10.200.2.0/24"}


def test_a_full_network_pool_fails_the_deploy_clearly(world):
    world.engine.host_subnets.append("10.200.0.0/16")
    with pytest.raises(DeployFailed, match="no free /24 subnet left in PAAS_NETWORK_POOL=10.200.0.0/16"):
        world.deployer.deploy_push("hello", SHA1, lambda _: None)
    assert world.store.current_release("hello") is None


def test_ps_shows_containers_still_draining_as_draining(world):
    import dataclasses
    world.scheduler.settings = dataclasses.replace(world.settings, drain_seconds=30)
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.deployer.deploy_push("hello", SHA2, lambda _: None)
    states = [(p.name, p.state, p.release) for p in world.services_processes.ps("hello")]
    assert states == [("web.1", "draining", 1), ("web.1", "running", 2)]
    assert world.apps.info("hello").processes == world.services_processes.ps("hello")
    world.scheduler.settings = world.settings  # no drain: retiring stops at once
    world.scheduler.retire([c.id for c in world.engine.running() if c.labels["paas.release"] == "1"])
    assert [p.release for p in world.apps.info("hello").processes] == [2]  # retired: not listed


def test_finalize_steps_run_again_with_the_new_code_when_the_layer_is_reused(world):
    from paas.render.archive import is_deps
    from paas.render.build import finalize_script
    from tests.unit.test_archive import members
    world.engine.result_files["finalize"] = "nodejs \n"
    world.engine.build_files = {"app/dist/bundle.js": b"built"}
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    [deps] = world.engine.find_images({"paas.kind": "deps"})
    assert deps[1]["paas.finalize"] == "nodejs"
    lines = []
    world.deployer.deploy_push("hello", SHA2, lines.append)
    assert world.engine.builds == 2  # a container, but from the dependency layer: no compile
    spec = world.engine.build_specs[-1]
    assert spec["image"] == deps[0] and spec["command"][-1] == finalize_script()
    assert any(l.startswith("-----> Dependencies unchanged, reusing layer ") for l in lines)
    base, code = world.engine.layers["paas/hello:t1-2"]
    assert base == deps[0]
    names = set(members(code))
    assert {"app/dist/bundle.js", "app/app.py"} <= names and not any(is_deps(n) for n in names)


def test_a_build_killed_for_memory_says_so(world):
    real = world.engine.run_build

    def oom(spec, archives, on_line, timeout):
        cid, _, timed_out = real(spec, archives, on_line, timeout)
        world.engine.containers[cid].oom_killed = True
        return cid, 137, timed_out
    world.engine.run_build = oom
    with pytest.raises(DeployFailed, match=r"build ran out of memory \(2g, PAAS_BUILD_MEMORY\)"):
        world.deployer.deploy_push("hello", SHA1, lambda _: None)


def dockerfile_app(world, procfile: bytes | None = None, exposed=("8000/tcp",)):
    world.repos.files = {"Dockerfile": b"FROM paas/stack:trixie\nCMD [\"serve\"]\n",
                         "app.json": b'{"dockerfile": {"build_args": ["TOKEN"]}}'}
    if procfile is not None:
        world.repos.files["Procfile"] = procfile
    world.store.replace_config("hello", {"TOKEN": "t0k", "OTHER": "x"})
    for build_id in (1, 2):
        world.engine.image_configs[f"paas/hello:t1-{build_id}"] = {
            "labels": {"paas.builder": "dockerfile"}, "exposed": list(exposed), "user": "",
            "cmd": ["serve"], "entrypoint": []}


def test_a_dockerfile_app_is_built_by_docker_and_runs_its_image_command(world):
    dockerfile_app(world)
    lines = []
    release = world.deployer.deploy_push("hello", SHA1, lines.append)
    [build] = world.engine.docker_builds
    assert build["buildargs"] == {"TOKEN": "t0k"} and build["memory"] == 2 * 1024 ** 3
    assert build["labels"]["paas.builder"] == "dockerfile" and build["tag"] == "paas/hello:t1-1"
    assert world.engine.builds == 0  # no buildpack container
    assert "-----> Dockerfile found: building it with docker build" in lines
    assert "       Step 1/2 : FROM paas/stack:trixie" in lines
    assert release.processes == {"web": ""}
    assert world.store.list_builds("hello")[0].buildpack == "dockerfile"
    [web] = world.engine.running()
    assert "command" not in web.spec and "ports" not in web.spec
    assert f"server {web.address} " in world.proxy.files["hello"] and web.address.endswith(":8000")


def test_a_failing_docker_build_keeps_the_running_release(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    dockerfile_app(world)
    world.engine.docker_build_error = "The command '/bin/sh -c false' returned a non-zero code: 1"
    with pytest.raises(DeployFailed, match="docker build failed: The command '/bin/sh -c false'"):
        world.deployer.deploy_push("hello", SHA2, lambda _: None)
    assert world.store.current_release("hello").version == 1


def test_a_bad_procfile_fails_a_dockerfile_app_before_docker_builds(world):
    dockerfile_app(world, procfile=b"web\n")
    with pytest.raises(DeployFailed, match="Procfile line 1"):
        world.deployer.deploy_push("hello", SHA1, lambda _: None)
    assert world.engine.docker_builds == []


def test_app_json_predeploy_runs_before_the_release_command_and_formation_scales_first_deploy(world):
    world.repos.files = {**world.repos.files,
                         "Procfile": b"web: gunicorn app:app\nworker: python w.py\nrelease: ./migrate\n",
                         "app.json": b'{"scripts": {"dokku": {"predeploy": "./prepare"}},'
                                     b' "formation": {"worker": {"quantity": 2}}}'}
    lines = []
    release = world.deployer.deploy_push("hello", SHA1, lines.append)
    assert world.engine.one_offs == ["./prepare", "./migrate"]
    assert "-----> Running predeploy script (app.json): ./prepare" in lines
    assert release.processes["predeploy"] == "./prepare"
    assert world.store.get_formation("hello") == {"web": 1, "worker": 2}
    assert sorted(c.labels["paas.process"] for c in world.engine.running()) == ["web", "worker", "worker"]
    world.services_processes.scale("hello", {"worker": 1}, lambda _: None)
    world.deployer.deploy_push("hello", SHA2, lambda _: None)
    assert world.store.get_formation("hello") == {"web": 1, "worker": 1}  # ps:scale wins now


def test_a_failing_predeploy_fails_the_deploy_and_restores_the_formation(world):
    world.repos.files = {**world.repos.files, "app.json": b'{"scripts": {"dokku": {"predeploy": "false"}},'
                                                          b' "formation": {"web": {"quantity": 2}}}'}
    world.engine.one_off_status = 1
    with pytest.raises(DeployFailed, match="the predeploy script \\(app.json\\) exited with status 1"):
        world.deployer.deploy_push("hello", SHA1, lambda _: None)
    assert world.store.get_formation("hello") == {"web": 1}


def test_a_build_with_nothing_to_run_fails_and_a_worker_only_app_says_how_to_start(world):
    world.repos.files = {"requirements.txt": b"flask\n", "Procfile": b"release: ./migrate\n"}
    with pytest.raises(DeployFailed, match="nothing to run: no process types came of this build"):
        world.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.repos.files["Procfile"] = b"worker: python w.py\n"
    lines = []
    world.deployer.deploy_push("hello", SHA2, lines.append)
    assert ("-----> Nothing will run: no web process, and no other type is scaled up; "
            "start one with: paas ps:scale worker=1") in lines
    assert world.engine.running() == []


def test_builds_are_read_per_app_and_a_rebuild_needs_pushed_code(world):
    from paas.errors import Conflict, NotFound
    builds = world.builds
    with pytest.raises(Conflict, match="hello has no pushed code to build"):
        builds.pushed_commit("hello")
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    [build] = builds.list("hello")
    full = builds.get("hello", build.id)
    assert full.id == build.id and build.output == "" and "Build succeeded" in full.output
    world.apps.create("other")
    with pytest.raises(NotFound, match=f"no build {build.id} of other"):
        builds.get("other", build.id)


def test_a_docker_build_past_its_time_says_so(world):
    dockerfile_app(world)
    world.engine.build_image = lambda *a, **k: (None, "", True)
    with pytest.raises(DeployFailed, match=r"docker build timed out after 20 minutes \(PAAS_BUILD_TIMEOUT\)"):
        world.deployer.deploy_push("hello", SHA1, lambda _: None)


def test_routes_go_to_container_addresses_and_convergence_lists_once(world):
    """Issue 14: nginx reaches each web container at its app-network address; a converged
    pass costs one listing per app, no Docker call per container."""
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.services_processes.scale("hello", {"web": 3}, lambda _: None)
    webs = [c for c in world.engine.running() if c.labels["paas.process"] == "web"]
    routed = world.proxy.files["hello"]
    assert len(webs) == 3 and all(f"server {c.address} max_fails=0;" in routed for c in webs)
    assert all("ports" not in c.spec and c.address.startswith("10.200.") for c in webs)
    calls = []
    world.engine.inspect = lambda cid: calls.append(cid)
    assert world.converger.once() == [] and calls == []


def test_the_settle_overlaps_the_route_with_the_old_containers_as_backups(world, monkeypatch):
    """Issue 14: nginx moves to the new container as soon as it answers, the old one behind
    it as a backup until the settle is over; then the backup goes."""
    from paas.services import scheduler as scheduler_module
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    [old] = world.engine.running()
    monkeypatch.setattr(scheduler_module, "SETTLE_SECONDS", 0.2)
    files = []
    real = world.proxy.apply_app
    world.proxy.apply_app = lambda app, text: (files.append(text), real(app, text))
    world.deployer.deploy_push("hello", SHA2, lambda _: None)
    [new] = [c for c in world.engine.running() if c.id != old.id]
    assert len(files) == 2
    assert f"server {new.address} max_fails=0;" in files[0]
    assert f"server {old.address} max_fails=0 backup;" in files[0]
    assert f"server {new.address} max_fails=0;" in files[1] and "backup" not in files[1]


def test_a_container_dying_in_the_settle_brings_the_old_route_back(world, monkeypatch):
    from paas.services import scheduler as scheduler_module
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    [old] = world.engine.running()
    before = world.proxy.files["hello"]
    monkeypatch.setattr(scheduler_module, "SETTLE_SECONDS", 0.2)
    real_wait = world.scheduler.wait_settled

    def dies(started):
        for s in started:
            world.engine.containers[s.container_id].status = "exited"
        real_wait(started)
    world.scheduler.wait_settled = dies
    with pytest.raises(DeployFailed, match="crashed on boot"):
        world.deployer.deploy_push("hello", SHA2, lambda _: None)
    assert world.proxy.files["hello"] == before and old.status == "running"


def test_a_converged_pass_lists_the_platforms_containers_once(world):
    """Issue 14 (scale): with several apps, a pass with nothing to do makes one Docker listing;
    an app with something to do is listed again, under its lock, before anything changes."""
    for name in ("second", "third"):
        world.apps.create(name)
    for name in ("hello", "second", "third"):
        world.deployer.deploy_push(name, SHA1, lambda _: None)
    listings = []
    real = world.engine.list_containers
    world.engine.list_containers = lambda labels: (listings.append(dict(labels)), real(labels))[1]
    assert world.converger.once() == [] and len(listings) == 1
    assert "paas.app" not in listings[0]
    [web] = [c for c in world.engine.running() if c.labels["paas.app"] == "second"]
    web.status = "exited"
    listings.clear()
    assert world.converger.once() == ["second: started 1, retired 0"]
    assert listings[1] == {"paas.instance": "t1", "paas.app": "second", "paas.kind": "process"}
