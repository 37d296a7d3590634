"""Migration steps that change Docker objects rather than tables (issue 10: each layout change
is a migration too). `paas.adapters.migrations` lists them among its steps; what they touch
comes in through `Context.extra`, so the migrations never open Docker themselves:

- `instance`: the platform's instance name;
- `remove_volume(name) -> bool`: removes one volume, False when it is gone or still in use.

A state migrated without them (a fresh one, or one a store opened after `make up` had
migrated it) has nothing of the kind, and the step does nothing. Every step here is safe to run
again.
"""
from __future__ import annotations

from paas.render.container import cache_volume, legacy_cache_volume


def remove_legacy_build_caches(db, ctx) -> None:  # db: the step's sqlite3 connection
    """Builds ran as root and kept their cache in the volume `paas-<instance>-<app>-cache`; they
    run as the build user now, with `paas-<instance>-<app>-build-cache`, and never read the old
    one again: it only holds disk. A name that is another app's current cache (app `x-build`'s
    old one is app `x`'s new one) is kept. One still in use (an old build) stays for
    apps:destroy or uninstall, which remove it by name."""
    remove = ctx.extra.get("remove_volume")
    instance = ctx.extra.get("instance")
    if remove is None or instance is None:
        return
    apps = [row[0] for row in db.execute("SELECT name FROM apps ORDER BY name")]
    current = {cache_volume(instance, app) for app in apps}
    for app in apps:
        name = legacy_cache_volume(instance, app)
        if name not in current:
            remove(name)
