"""Platform events per app (deploys, scaling, restarts), appended to $PAAS_HOME/logs/apps/<app>.log
as `<unix time>\t<source>\t<message>` lines, so `paas logs` can merge them with the app's own."""
from __future__ import annotations

import threading
import time
from pathlib import Path

MAX_BYTES = 1024 * 1024


class EventLog:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()

    def _path(self, app: str) -> Path:
        return self.directory / f"{app}.log"

    def write(self, app: str, source: str, message: str) -> None:
        line = f"{time.time():.6f}\t{source}\t{' '.join(message.split())}\n"
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self._path(app)
            if path.exists() and path.stat().st_size > MAX_BYTES:
                path.replace(path.with_suffix(".log.1"))  # one old generation is enough
            with path.open("a") as fh:
                fh.write(line)

    def read(self, app: str, since: float = 0.0) -> list[tuple[float, str, str]]:
        events = []
        for path in (self._path(app).with_suffix(".log.1"), self._path(app)):
            if not path.exists():
                continue
            for line in path.read_text(errors="replace").splitlines():
                stamp, _, rest = line.partition("\t")
                source, _, message = rest.partition("\t")
                try:
                    when = float(stamp)
                except ValueError:
                    continue
                if when > since:
                    events.append((when, source, message))
        return events

    def remove(self, app: str) -> None:
        for path in (self._path(app), self._path(app).with_suffix(".log.1")):
            path.unlink(missing_ok=True)
