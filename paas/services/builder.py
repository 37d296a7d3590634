"""Builds: turn a pushed commit into an image, with buildpacks in a build container, or with
`docker build` when the app brings a Dockerfile (and no .buildpacks).

An app image is three layers: the stack, the dependencies, the code. The dependency layer is
keyed by the hash of its inputs (the files each buildpack declares in `deps-inputs`, the root
file names, the stack, the buildpacks, the config); a code-only change finds it and only adds a
new code layer, without running the build container at all (or, when a buildpack left
finalize steps, runs only those, from the dependency layer).

Owns the build record (status, full output, buildpack, image) and the per-build work dir; the
container spec, script and archives come from `paas.render`, the doing from the Engine port.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from paas.domain.appjson import AppJson
from paas.domain.appjson import parse as parse_app_json
from paas.domain.healthchecks import to_json
from paas.domain.models import Build
from paas.errors import DeployFailed, InvalidInput, PaasError
from paas.ports import Engine, LineWriter, Repos, Store
from paas.domain.procfile import parse_procfile
from paas.domain.resources import memory_bytes
from paas.render.archive import (deps_key, files_tar, is_deps, read_files, rebase, retar,
                                 root_names, why_rebuilt)
from paas.render.dockerfile import build_args, build_context, dockerfile_processes, uses_dockerfile
from paas.render.build import ENV_DIR, build_script, finalize_script, process_types
from paas.render.container import APP_OWNER, build_spec, image_ref, labels
from paas.render.plan import runnable
from paas.services.build_sandbox import BuildSandbox
from paas.settings import Settings

BUILDPACK_ORDER = ["python", "nodejs", "static", "procfile"]  # documented in buildpacks/README.md
MAX_OUTPUT = 4 * 1024 * 1024  # of a build's output kept and shown; a build may print without end
MAX_TREE = 4 * 1024 ** 3  # a build's /app, read into memory to make the image layers
IMAGE_DIR, IMAGE_ENV = "/app", {"HOME": "/app"}


@dataclass(frozen=True)
class BuildOutcome:
    build: Build
    image: str
    processes: dict[str, str]
    healthchecks: dict
    formation: dict[str, int]  # app.json's, for the first deploy and new process types


@dataclass(frozen=True)
class Built:
    image: str
    buildpack: str
    release_yaml: str | None


class Builder:
    def __init__(self, settings: Settings, store: Store, engine: Engine, repos: Repos) -> None:
        self.settings = settings
        self.store = store
        self.engine = engine
        self.repos = repos
        self.sandbox = BuildSandbox(settings, engine)

    def build(self, app: str, sha: str, on_line: LineWriter) -> BuildOutcome:
        build_id = self.store.start_build(app, sha)
        output: list[str] = []
        size = [0]

        def emit(line: str) -> None:
            size[0] += len(line) + 1
            if size[0] > MAX_OUTPUT:
                if size[0] - len(line) - 1 <= MAX_OUTPUT:  # once
                    notice = (f" !     The build printed more than {MAX_OUTPUT // 1024 // 1024} MiB; "
                              "the rest of its output is not kept or shown")
                    output.append(notice)
                    on_line(notice)
                return
            output.append(line)
            on_line(line)

        try:
            image, buildpack, processes, declared = self._build(app, sha, build_id, emit)
        except PaasError as exc:
            # Kept in the build's log; the caller shows the reason to the user (a push's last
            # `remote:` line), so it is not written to on_line twice.
            output.append(f" !     {exc.message}")
            self.store.finish_build(build_id, status="failed", output="\n".join(output))
            raise exc if isinstance(exc, DeployFailed) else DeployFailed(exc.message) from exc
        self.store.finish_build(build_id, status="succeeded", output="\n".join(output),
                                image=image, buildpack=buildpack)
        build = self.store.get_build(build_id)
        assert build is not None
        return BuildOutcome(build, image, processes, to_json(declared.healthchecks),
                            declared.formation)

    def _build(self, app: str, sha: str, build_id: int,
               emit: LineWriter) -> tuple[str, str, dict[str, str], AppJson]:
        source = b"".join(self.repos.archive(app, sha))
        config = self.store.get_config(app)
        files = read_files(source, {"app/Procfile", "app/app.json"})
        procfile, app_json = _text(files.get("app/Procfile")), _text(files.get("app/app.json"))
        declared = parse_app_json(app_json)  # bad input fails before the long part
        if procfile is not None:
            parse_procfile(procfile)
        if uses_dockerfile(root_names(source)):
            image, processes = self._dockerfile(app, sha, build_id, source, config, procfile,
                                                app_json, emit)
            buildpack = "dockerfile"
        else:
            image, buildpack, processes = self._buildpacks(app, sha, build_id, source, config,
                                                           procfile, emit)
        if not runnable(processes):
            raise InvalidInput("nothing to run: no process types came of this build; add a "
                               "Procfile (e.g. 'web: gunicorn app:app')")
        if declared.predeploy:
            processes = {**processes, "predeploy": declared.predeploy}
        emit(f"-----> Build succeeded: {image}")
        return image, buildpack, processes, declared

    def _buildpacks(self, app: str, sha: str, build_id: int, source: bytes, config: dict[str, str],
                    procfile: str | None, emit: LineWriter) -> tuple[str, str, dict[str, str]]:
        base = self.sandbox.base_image()
        # The build base (the stack and the build user's directories) keys the layer: layers
        # made on the bare stack by root builds are not reused.
        key, inputs = deps_key(source, self._deps_inputs(), config=config,
                               stack=self.engine.image_id(base),
                               buildpacks=self._buildpacks_digest())
        mine = labels(self.settings.instance, app, kind="deps")
        cached = self.engine.find_images({**mine, "paas.key": key})
        emit(f"-----> Building on the {self.settings.stack_image.rsplit(':', 1)[-1]} stack")
        if cached:
            ref, found = cached[0]
            emit(f"-----> Using buildpack: {found.get('paas.buildpack')}")
            emit(f"-----> Dependencies unchanged, reusing layer {key[:12]}")
            deps = Built(ref, found.get("paas.buildpack", ""), found.get("paas.release-yml"))
            code = retar(source, APP_OWNER)
            if found.get("paas.finalize", "").strip():
                # Code-dependent steps (npm run build, collectstatic) must see this push's code.
                tree, _ = self._run_container(app, build_id, ref, finalize_script(), code, config, emit)
                code = retar(tree, APP_OWNER, lambda n: not is_deps(n))
        else:
            previous = self.engine.find_images(mine)
            old = json.loads(previous[0][1].get("paas.inputs", "{}")) if previous else None
            deps, code = self._compile(app, build_id, base, source, config, key, inputs, emit)
            emit(f"       dependencies layer {key[:12]} built: {why_rebuilt(old, inputs)}")
        image = self._code_layer(app, sha, build_id, key, deps.image, code)
        return image, deps.buildpack, process_types(procfile, deps.release_yaml)

    def _dockerfile(self, app: str, sha: str, build_id: int, source: bytes, config: dict[str, str],
                    procfile: str | None, app_json: str | None,
                    emit: LineWriter) -> tuple[str, dict[str, str]]:
        """The app's own Dockerfile, built by Docker (whose layer cache makes rebuilds fast)."""
        args, missing = build_args(app_json, config)
        emit("-----> Dockerfile found: building it with docker build")
        if args:
            emit(f"       build args from config: {', '.join(sorted(args))}")
        for key in missing:
            emit(f"       build arg {key} (app.json) is not set in config: left out")
        repository, tag = image_ref(app, self.settings.instance, build_id)
        network = self.sandbox.open_network(build_id)
        try:
            # RUN steps get the build's own network; the classic builder offers no user,
            # capability or pids options for them (README, Security).
            image_id, error, timed_out = self.engine.build_image(
                build_context(source), tag=f"{repository}:{tag}", buildargs=args,
                labels=labels(self.settings.instance, app, kind="image", build=build_id,
                              commit=sha, builder="dockerfile"),
                memory=memory_bytes(self.settings.build_memory),
                on_line=lambda l: emit(f"       {l}"), timeout=self.settings.build_timeout,
                network=network)
        finally:
            self.sandbox.close_network(network)
        if timed_out:
            raise self._timed_out("docker build")
        if image_id is None:
            raise DeployFailed(f"docker build failed: {error}")
        ref = f"{repository}:{tag}"
        self.sandbox.check_image_user(app, ref, emit)
        return ref, dockerfile_processes(procfile, self.engine.image_config(ref))

    def _compile(self, app: str, build_id: int, base: str, source: bytes, config: dict[str, str],
                 key: str, inputs: dict[str, str], emit: LineWriter) -> tuple[Built, bytes]:
        """Run the buildpacks in a build container; split its /app into the dependency layer
        (tagged with its key) and the code archive."""
        tree, results = self._run_container(app, build_id, base, build_script(BUILDPACK_ORDER),
                                            source, config, emit)
        buildpack = (results.get("buildpack") or "").strip()
        release_yaml = results.get("release.yml")
        repository, _ = image_ref(app, self.settings.instance, build_id)
        self.engine.layer_image(
            # /app itself too: a layer that only implied it would shadow the build base's /app
            # (owned by the build user) with a root-owned one, and finalize steps could not write.
            base, retar(tree, APP_OWNER, lambda n: n == "app" or is_deps(n)),
            repository=repository, tag=f"{self.settings.instance}-deps-{key[:16]}",
            labels={**labels(self.settings.instance, app, kind="deps", key=key, buildpack=buildpack,
                              inputs=json.dumps(inputs), finalize=results.get("finalize", "").strip()),
                    "paas.release-yml": release_yaml or ""},
            workdir=IMAGE_DIR, env=IMAGE_ENV,
        )
        ref = f"{repository}:{self.settings.instance}-deps-{key[:16]}"
        return Built(ref, buildpack, release_yaml), retar(tree, APP_OWNER, lambda n: not is_deps(n))

    def _run_container(self, app: str, build_id: int, image: str, script: str, archive: bytes,
                       config: dict[str, str], emit: LineWriter) -> tuple[bytes, dict[str, str]]:
        """Run `script` in a build container from `image` with `archive` (members under app/)
        unpacked at /app and the config in ENV_DIR, both through the Docker API: no file of
        the build touches the host. Returns the tar of its /app and the files it left in
        RESULT_DIR (regular files only, capped)."""
        network = self.sandbox.open_network(build_id)
        try:
            spec = build_spec(
                instance=self.settings.instance, app=app, build_id=build_id, image=image,
                buildpacks_dir=str(self.settings.buildpacks_dir), ca_bundle=self.settings.ca_bundle,
                script=script, network=network, memory=self.settings.build_memory,
            )
            uploads = [("/app", rebase(archive, "app/", APP_OWNER)),
                       (ENV_DIR, files_tar({k: v.encode() for k, v in config.items()}, APP_OWNER))]
            timeout = self.settings.build_timeout
            container_id, exit_code, timed_out = self.engine.run_build(spec, uploads, emit, timeout)
            try:
                if timed_out:
                    raise self._timed_out("build")
                if exit_code != 0:
                    state = self.engine.inspect(container_id)
                    if state is not None and state.oom_killed:
                        raise DeployFailed(f"build ran out of memory ({self.settings.build_memory}, "
                                           "PAAS_BUILD_MEMORY) and was killed")
                    raise DeployFailed(f"build failed (exit status {exit_code}); see the output above")
                results = self.sandbox.results(container_id)
                tree = self.engine.read_tree(container_id, "/app", limit=MAX_TREE)
                if tree is None:
                    raise DeployFailed(f"the build left more than {MAX_TREE // 1024 ** 3} GiB in "
                                       "/app; refused")
            finally:
                self.engine.remove_container(container_id)
        finally:
            self.sandbox.close_network(network)
        return tree, results

    def _timed_out(self, what: str) -> DeployFailed:
        seconds = self.settings.build_timeout
        took = f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} s"
        return DeployFailed(f"{what} timed out after {took} (PAAS_BUILD_TIMEOUT); "
                            "the running release is unchanged")

    def _code_layer(self, app: str, sha: str, build_id: int, key: str, deps_image: str,
                    code: bytes) -> str:
        repository, tag = image_ref(app, self.settings.instance, build_id)
        self.engine.layer_image(
            deps_image, code, repository=repository, tag=tag, workdir=IMAGE_DIR, env=IMAGE_ENV,
            labels=labels(self.settings.instance, app, kind="image", build=build_id, commit=sha,
                          deps=key),
        )
        return f"{repository}:{tag}"

    def _deps_inputs(self) -> list[str]:
        names: set[str] = {".buildpacks"}
        for buildpack in BUILDPACK_ORDER:
            path = self.settings.buildpacks_dir / buildpack / "deps-inputs"
            if path.is_file():
                names |= {l.strip() for l in path.read_text().splitlines()
                          if l.strip() and not l.startswith("#")}
        return sorted(names)

    def _buildpacks_digest(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.settings.buildpacks_dir.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(self.settings.buildpacks_dir)).encode())
                digest.update(path.read_bytes())
        return digest.hexdigest()[:16]


def _text(body: bytes | None) -> str | None:
    return body.decode("utf-8", "replace") if body is not None else None
