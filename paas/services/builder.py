"""Builds: turn a pushed commit into an image with buildpacks, in a build container.

Owns the build record (status, full output, buildpack, image) and the per-build work dir; the
container spec and script come from `paas.render`, the doing from the Engine port.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from paas.domain.healthchecks import parse_app_json, to_json
from paas.domain.models import Build
from paas.errors import DeployFailed, PaasError
from paas.ports import Engine, LineWriter, Repos, Store
from paas.render.build import build_script, process_types
from paas.render.container import APP_OWNER, build_spec, image_ref, labels
from paas.settings import Settings

BUILDPACK_ORDER = ["python"]
BUILD_TIMEOUT = 20 * 60


@dataclass(frozen=True)
class BuildOutcome:
    build: Build
    image: str
    processes: dict[str, str]
    healthchecks: dict


class Builder:
    def __init__(self, settings: Settings, store: Store, engine: Engine, repos: Repos) -> None:
        self.settings = settings
        self.store = store
        self.engine = engine
        self.repos = repos

    def build(self, app: str, sha: str, on_line: LineWriter) -> BuildOutcome:
        build_id = self.store.start_build(app, sha)
        output: list[str] = []

        def emit(line: str) -> None:
            output.append(line)
            on_line(line)

        work = self.settings.home / "builds" / str(build_id)
        try:
            image, buildpack, processes, checks = self._run(app, sha, build_id, work, emit)
        except PaasError as exc:
            emit(f" !     {exc.message}")
            self.store.finish_build(build_id, status="failed", output="\n".join(output))
            raise exc if isinstance(exc, DeployFailed) else DeployFailed(exc.message) from exc
        finally:
            shutil.rmtree(work, ignore_errors=True)
        self.store.finish_build(build_id, status="succeeded", output="\n".join(output),
                                image=image, buildpack=buildpack)
        build = self.store.get_build(build_id)
        assert build is not None
        return BuildOutcome(build, image, processes, checks)

    def _run(self, app: str, sha: str, build_id: int, work: Path,
             emit: LineWriter) -> tuple[str, str, dict[str, str], dict]:
        env_dir, result_dir = work / "env", work / "out"
        env_dir.mkdir(parents=True)
        result_dir.mkdir()
        for key, value in self.store.get_config(app).items():
            (env_dir / key).write_text(value)
        spec = build_spec(
            instance=self.settings.instance, app=app, build_id=build_id,
            stack_image=self.settings.stack_image, buildpacks_dir=str(self.settings.buildpacks_dir),
            ca_bundle=self.settings.ca_bundle, script=build_script(BUILDPACK_ORDER),
            env_dir=str(env_dir), result_dir=str(result_dir),
        )
        source = b"".join(self.repos.archive(app, sha))
        container_id, exit_code, timed_out = self.engine.run_build(spec, [source], emit, BUILD_TIMEOUT)
        try:
            if timed_out:
                raise DeployFailed(f"build timed out after {BUILD_TIMEOUT // 60} minutes")
            if exit_code != 0:
                raise DeployFailed(f"build failed (exit status {exit_code}); see the output above")
            processes = process_types(_read(result_dir / "Procfile"), _read(result_dir / "release.yml"))
            checks = to_json(parse_app_json(_read(result_dir / "app.json")))
            repository, tag = image_ref(app, self.settings.instance, build_id)
            self.engine.snapshot(
                container_id, "/app", base_image=self.settings.stack_image,
                repository=repository, tag=tag, changes=["WORKDIR /app", "ENV HOME=/app"],
                owner=APP_OWNER,
                labels=labels(self.settings.instance, app, kind="image", build=build_id, commit=sha),
            )
        finally:
            self.engine.remove_container(container_id)
        buildpack = (_read(result_dir / "buildpack") or "").strip()
        emit(f"-----> Build succeeded: {repository}:{tag}")
        return f"{repository}:{tag}", buildpack, processes, checks


def _read(path: Path) -> str | None:
    return path.read_text() if path.is_file() else None
