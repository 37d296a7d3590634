"""JSON shapes of the API's records, in one place so every route answers alike."""
from __future__ import annotations

from datetime import datetime, timezone

from paas.domain.models import App, Build, Release
from paas.domain.releases import ReleaseDiff
from paas.services.apps import AppInfo


def iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds") if ts else None


def app_json(app: App) -> dict:
    return {"name": app.name, "created_at": iso(app.created_at)}


def release_json(release: Release) -> dict:
    return {
        "version": release.version, "name": release.name, "status": release.status,
        "image": release.image, "commit": release.commit, "description": release.description,
        "process_types": release.processes, "created_by": release.created_by,
        "created_at": iso(release.created_at), "build_id": release.build_id,
        "config_keys": sorted(release.config),
    }


def app_info_json(info: AppInfo) -> dict:
    return {
        **app_json(info.app),
        "url": info.url,
        "git_url": info.git_url,
        "release": release_json(info.release) if info.release else None,
        "formation": info.formation,
        "processes": [{"name": p.name, "state": p.state, "release": f"v{p.release}",
                       "started_at": p.started_at} for p in info.processes],
    }


def build_json(build: Build, with_output: bool) -> dict:
    out = {
        "id": build.id, "status": build.status, "commit": build.commit, "image": build.image,
        "buildpack": build.buildpack, "started_at": iso(build.started_at),
        "finished_at": iso(build.finished_at),
        "duration_seconds": round(build.finished_at - build.started_at, 1) if build.finished_at else None,
    }
    if with_output:
        out["output"] = build.output
    return out


def diff_json(changes: ReleaseDiff) -> dict:
    return {
        "config_added": changes.added, "config_removed": changes.removed,
        "config_changed": changes.changed, "image_changed": changes.image_changed,
        "commit_range": list(changes.commit_range) if changes.commit_range else None,
    }
