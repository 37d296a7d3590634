"""Image retention: keep the images of the newest succeeded releases, remove older ones, and
the dependency layers no kept image is built on."""
from __future__ import annotations

from paas.domain.releases import images_to_keep
from paas.ports import Engine, Store
from paas.render.container import labels
from paas.settings import Settings


class ImageCollector:
    def __init__(self, settings: Settings, store: Store, engine: Engine) -> None:
        self.settings = settings
        self.store = store
        self.engine = engine

    def collect(self, app: str) -> list[str]:
        keep = images_to_keep(self.store.list_releases(app), self.settings.keep_releases)
        removed = []
        in_use = set()
        for ref, found in self.engine.find_images(labels(self.settings.instance, app, kind="image")):
            if ref in keep:
                in_use.add(found.get("paas.deps"))
            elif self.engine.remove_image(ref):
                removed.append(ref)
        for ref, found in self.engine.find_images(labels(self.settings.instance, app, kind="deps")):
            if found.get("paas.key") not in in_use and self.engine.remove_image(ref):
                removed.append(ref)
        return removed
