"""Builds from the app's own Dockerfile: what goes to `docker build`, and what comes of it.

Pure. A repository with a `Dockerfile` at its root and no `.buildpacks` is built with Docker's
classic builder instead of buildpacks (Dokku's rule); Docker's layer cache makes the rebuilds
fast. Config vars reach the build as `--build-arg`s only when the app opts in, naming them in
`app.json` (`{"dockerfile": {"build_args": ["NPM_TOKEN"]}}`): build args end up readable in the
image's history, so nothing is passed unasked.
"""
from __future__ import annotations

import io
import json
import tarfile

from paas.domain.config import validate_key
from paas.domain.procfile import parse_procfile
from paas.errors import InvalidInput


def uses_dockerfile(root_names: list[str]) -> bool:
    return "Dockerfile" in root_names and ".buildpacks" not in root_names


def build_context(source: bytes, prefix: str = "app/") -> bytes:
    """The pushed tree (its members under `prefix`) as a build context rooted at its top."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(source)) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src:
            if not member.name.startswith(prefix):
                continue
            member.name = member.name[len(prefix):]
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
    return out.getvalue()


def build_args(app_json: str | None, config: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The config vars the app asked for as build args, and the names it asked for but lacks."""
    if not app_json:
        return {}, []
    try:
        data = json.loads(app_json)
    except ValueError:
        return {}, []  # the health check parser reports invalid JSON with its reason
    wanted = (data.get("dockerfile") or {}).get("build_args", []) if isinstance(data, dict) else []
    if not isinstance(wanted, list) or not all(isinstance(k, str) for k in wanted):
        raise InvalidInput('app.json: dockerfile.build_args must be a list of config var names')
    for key in wanted:
        validate_key(key)
    return {k: config[k] for k in wanted if k in config}, [k for k in wanted if k not in config]


def dockerfile_processes(procfile: str | None, image_config: dict) -> dict[str, str]:
    """A Procfile's commands (run with sh in the image), else `web` runs the image's own
    CMD/ENTRYPOINT, written as an empty command."""
    if procfile is not None:
        return parse_procfile(procfile)
    if image_config.get("cmd") or image_config.get("entrypoint"):
        return {"web": ""}
    raise InvalidInput("the Dockerfile sets no CMD or ENTRYPOINT and there is no Procfile: "
                       "add one of them so paas knows what to run")
