"""Image retention: keep the images of the newest succeeded releases, remove older ones."""
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
        for image in self.engine.list_images(labels(self.settings.instance, app, kind="image")):
            if image not in keep:
                self.engine.remove_image(image)
                removed.append(image)
        return removed
