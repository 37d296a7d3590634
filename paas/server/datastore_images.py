"""`make services`: build the Postgres and Redis images on the stack ahead of time (otherwise
the first `services:create` of a kind builds its image). Idempotent."""
from __future__ import annotations

import sys

from paas.adapters.docker_data import DockerData
from paas.adapters.docker_engine import DockerEngine
from paas.errors import PaasError
from paas.render.datastores import KINDS
from paas.services.datastores import ensure_image
from paas.settings import Settings


def main() -> int:
    settings = Settings.from_env()
    engine, data = DockerEngine(), DockerData()
    for kind in sorted(KINDS):
        try:
            ref, _ = ensure_image(engine, data, settings.stack_image, kind, print)
        except PaasError as exc:
            print(f"services image {kind}: {exc.message}", file=sys.stderr)
            return 1
        print(f"services image {ref}: present")
    return 0


if __name__ == "__main__":
    sys.exit(main())
