"""The platform's lifecycle on this host when Docker supervises it (PAAS_SUPERVISE, the
default): `up` migrates the state, then builds and starts or updates the router and API
containers (paas.render.supervise says why containers); `down` stops them and they stay
stopped; `uninstall` removes everything the instance made.

`paas.server.control` is the entry point; this module is its supervised half.
"""
from __future__ import annotations

import os
import shutil
import sys
import time
import urllib.request
from pathlib import Path

from paas import __version__
from paas.adapters.migrations import Context, migrate
from paas.adapters.nginx_proxy import NginxProxy
from paas.adapters.state_files import create_private
from paas.render import supervise as render
from paas.server import handover
from paas.settings import Settings

ROOT = Path(__file__).resolve().parent.parent.parent  # the checkout the images are built from
START_TIMEOUT = 60.0


def _healthy(settings: Settings) -> str | None:
    """The version the API answers with, or None when it does not answer."""
    try:
        with urllib.request.urlopen(f"{settings.api_url}/api/v1/health", timeout=2) as resp:
            return (resp.headers.get("Paas-Version") or "?") if resp.status == 200 else None
    except OSError:
        return None


def _mounts(settings: Settings) -> render.Mounts:
    files = tuple(p for p in (settings.ca_bundle, settings.acme_ca_bundle) if p and os.path.isfile(p))
    return render.Mounts(home=str(settings.home), nginx_dir=str(settings.nginx_dir),
                         certs_dir=str(settings.certs_dir),
                         docker_socket=render.docker_socket(os.environ.get("DOCKER_HOST", "")),
                         files=files)


def images(settings: Settings, supervisor) -> dict[str, tuple[str, str]]:
    """Build what is missing; role -> (image ref, input hash)."""
    inst = settings.instance
    stack_id = supervisor.image_id(settings.stack_image)
    if stack_id is None:
        raise SystemExit(f"paas: the stack image {settings.stack_image} is missing (make stack)")
    router_file = render.router_dockerfile(settings.stack_image)
    router_inputs = render.digest({"Dockerfile": router_file.encode(), "stack": stack_id.encode()})
    router_ref = render.image_ref(inst, "router", router_inputs)
    supervisor.ensure_image(router_ref, render.labels(inst, "router", router_inputs),
                            {"Dockerfile": router_file.encode()})
    from paas.adapters.supervisor import source_files

    source = {f"src/{k}": v for k, v in source_files(ROOT).items()}
    api_file = render.api_dockerfile(router_ref)
    ca = Path(settings.ca_bundle).read_bytes() if settings.ca_bundle else b""
    context = {"Dockerfile": api_file.encode(), "ca.crt": ca,
               "requirements.txt": render.requirements((ROOT / "pyproject.toml").read_text()).encode(),
               **source}
    api_inputs = render.digest(context)
    api_ref = render.image_ref(inst, "api", api_inputs)
    supervisor.ensure_image(api_ref, render.labels(inst, "api", api_inputs), context)
    return {"router": (router_ref, router_inputs), "api": (api_ref, api_inputs)}


def migrate_state(settings: Settings) -> None:
    """Migrations before anything starts: a newer state (a downgrade) is refused here with both
    versions and the way back (DowngradeRefused), and nothing is started or stopped."""
    settings.home.mkdir(mode=0o700, parents=True, exist_ok=True)
    create_private(settings.db_path)  # 0600 before SQLite creates it
    # Steps that change Docker objects get what they touch (paas.adapters.layout_steps);
    # Docker is opened only when such a step runs.
    ctx = Context(home=settings.home, extra={"instance": settings.instance,
                                             "remove_volume": _remove_volume})
    ran = migrate(settings.db_path, ctx)
    if ran:
        backups = sorted((settings.home / "backups").glob("pre-upgrade-*"))
        where = f" (state backed up in {backups[-1]})" if backups else ""
        print(f"Migrated the state: {', '.join(ran)}{where}")


def _remove_volume(name: str) -> bool:
    from paas.adapters.supervisor import Supervisor

    return Supervisor().remove_volume(name)


def up(settings: Settings, stop_host_processes) -> bool:
    """Returns True when something was started or replaced."""
    from paas.adapters.supervisor import Supervisor

    supervisor = Supervisor()
    built = images(settings, supervisor)  # before anything stops: a slow build costs no uptime
    inst = settings.instance
    proxy = NginxProxy(settings.nginx_dir, settings.http_port, may_start=False)
    stop_host_processes(settings, nginx=False)
    conf_changed = proxy.prepare()
    settings.certs_dir.mkdir(parents=True, exist_ok=True)
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    mounts = _mounts(settings)
    spec = render.router_spec(inst, *built["router"], mounts)
    # The nginx that serves the ports now: a host process (PAAS_SUPERVISE=0, or a version
    # before supervision) or a router container of another spec hands them to the new
    # container with no moment without a listener (paas.server.handover).
    serving = proxy.pid()
    if serving is not None and not supervisor.runs(spec):
        router, moved = handover.take_over(proxy, supervisor, spec, serving)
        print(f"  router: ports {moved} (from nginx {serving})")
    else:
        router = supervisor.ensure(spec)
        if router == "running" and conf_changed:
            supervisor.signal(render.container_name(inst, "router"), "HUP")
    api_name = render.container_name(inst, "api")
    # Build containers bind the buildpacks from a host path: the API's copy lives in PAAS_HOME
    # (the same path inside), one directory per API image, so a running build keeps its own.
    buildpacks = _buildpacks(settings, built["api"][1])
    env = {**settings.to_env(), "PAAS_BUILDPACKS_DIR": str(buildpacks)}
    api = supervisor.ensure(render.api_spec(inst, *built["api"], mounts, env, settings.api_listen,
                                            str(settings.logs_dir), settings.api_threads))
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if _healthy(settings) == __version__:
            break
        time.sleep(0.2)
    else:
        log = (settings.logs_dir / "api.log")
        lines = log.read_text(errors="replace").splitlines()[-15:] if log.exists() else []
        raise SystemExit(f"paas: the API did not answer within {START_TIMEOUT:.0f}s; container "
                         f"{api_name}:\n{supervisor.logs(api_name)}\n" + "\n".join(lines))
    _prune_buildpacks(settings, buildpacks)  # the old API, whose builds used them, is gone
    for role, (ref, _) in built.items():
        supervisor.remove_images({"paas.instance": inst, "paas.role": f"control-{role}"}, ref)
    print(f"  router: {router}, api: {api} ({built['api'][0]})")
    return router != "running" or api != "running"


def _buildpacks(settings: Settings, inputs: str) -> Path:
    base = settings.home / "buildpacks"
    target = base / inputs
    if not target.exists():
        staging = base / f".{inputs}.new"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(ROOT / "buildpacks", staging, symlinks=True)
        os.replace(staging, target)
    return target


def _prune_buildpacks(settings: Settings, keep: Path) -> None:
    for old in (settings.home / "buildpacks").iterdir():
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def down(settings: Settings) -> bool:
    from paas.adapters.supervisor import Supervisor

    supervisor = Supervisor()
    stopped = supervisor.stop(render.container_name(settings.instance, "api"))
    return supervisor.stop(render.container_name(settings.instance, "router")) or stopped


def uninstall(settings: Settings, confirmed: bool, stop_host_processes, host_cleanup) -> None:
    """Everything the instance made: its containers (apps, datastores and the control plane),
    images, networks and volumes, the host firewall rules (`host_cleanup`), nginx, then PAAS_HOME."""
    from paas.adapters.supervisor import Supervisor

    home = settings.home
    if home.exists() and any(home.iterdir()) and not (home / "paas.db").exists():
        # A mistyped PAAS_HOME (/, a home directory) must never be deleted.
        raise SystemExit(f"paas: {home} holds no paas.db, so it is not a paas state directory: "
                         "check PAAS_HOME; nothing was removed")
    print(f"This removes paas instance {settings.instance}: every app, its containers, images, "
          f"networks and volumes (data included), the router and API, and {settings.home}.")
    kept = last_backups(home)
    if kept:
        print("The last backups are removed with it; copy them elsewhere first to keep them:")
        for line in kept:
            print(f"  {line}")
    if not confirmed:
        if not sys.stdin.isatty():
            raise SystemExit("paas: uninstall needs a confirmation: run it in a terminal, "
                             "or set CONFIRM=yes")
        answer = input(f"Type the instance name ({settings.instance}) to confirm: ").strip()
        if answer != settings.instance:
            raise SystemExit("paas: uninstall cancelled, nothing was removed")
    stop_host_processes(settings)
    removed = Supervisor().remove_instance(settings.instance)
    host_cleanup(settings)
    home = "nothing on disk (no state directory)"
    if settings.home.exists():
        _remove_home(settings.home)
        home = str(settings.home)
    print(f"Removed {removed['containers']} containers, {removed['images']} images, "
          f"{removed['networks']} networks, {removed['volumes']} volumes and {home}.")


def last_backups(home: Path) -> list[str]:
    """Where the newest backups are, one line each: every service's (the newest file of its
    directory under backups/services; the names start with their time) and the state's taken
    before the last upgrade."""
    lines = []
    services = home / "backups" / "services"
    for folder in sorted(services.iterdir()) if services.is_dir() else ():
        files = sorted(f.name for f in folder.iterdir()
                       if f.is_file() and not f.name.endswith(".partial")) if folder.is_dir() else []
        lines.append(f"service {folder.name}: " + (str(folder / files[-1]) if files else "no backup"))
    upgrades = sorted((home / "backups").glob("pre-upgrade-*"))
    if upgrades:
        lines.append(f"the state before the last upgrade: {upgrades[-1]}")
    return lines


def _remove_home(home) -> None:
    """PAAS_HOME and all in it; when it is a mount point (its own disk, a tmpfs) only what is in
    it: the mount itself is the operator's."""
    if not os.path.ismount(home):
        shutil.rmtree(home)
        return
    for entry in home.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
