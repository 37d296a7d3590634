"""Backups of datastores: make one (`pg_dump -Fc`, a Redis RDB snapshot), list them, restore
one, and the scheduled ones (PAAS_BACKUP_HOURS, keeping PAAS_BACKUP_KEEP).

Backups come out through the Docker API (an exec's stdout), never by reading the server's files
on the host. Each is a 0600 file in a 0700 directory under PAAS_HOME/backups/services/NAME,
written under a temporary name and renamed when complete, so an interrupted backup leaves
nothing that looks like one. A restore first backs up what it replaces, and says so.
"""
from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from paas.domain.models import Datastore
from paas.errors import InvalidInput, NotFound
from paas.ports import DataEngine, Engine, LineWriter, Store
from paas.render import datastores as r
from paas.services.datastores import DatastoreFailed, Datastores
from paas.settings import Settings

MAX_BACKUP = 50 * 1024**3
ID_RE = re.compile(r"(\d{8}T\d{6}(?:\.\d{3})?Z)-(manual|scheduled|final|pre-restore|import|export)")
PARTIAL = ".partial"
MAGIC = {"postgres": b"PGDMP", "redis": b"REDIS"}
DESCRIBE = {"postgres": "pg_dump -Fc file", "redis": "Redis RDB file"}


@dataclass(frozen=True)
class Backup:
    id: str
    reason: str
    size: int
    created_at: float
    path: Path


class Backups:
    def __init__(self, settings: Settings, store: Store, engine: Engine, data: DataEngine,
                 datastores: Datastores) -> None:
        self.settings = settings
        self.store = store
        self.engine = engine
        self.data = data
        self.datastores = datastores
        self.wakeup = threading.Event()

    def directory(self, name: str) -> Path:
        path = self.settings.home / "backups" / "services" / name
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        return path

    def list(self, name: str) -> list[Backup]:
        """Newest first."""
        self.datastores.get(name)
        found = []
        for entry in self.directory(name).iterdir():
            m = ID_RE.fullmatch(entry.name.rsplit(".", 1)[0])
            if m and entry.is_file() and not entry.is_symlink():
                st = entry.stat()
                found.append(Backup(m.group(0), m.group(2), st.st_size, st.st_mtime, entry))
        return sorted(found, key=lambda b: b.id, reverse=True)

    def get(self, name: str, backup_id: str) -> Backup:
        if not isinstance(backup_id, str) or not ID_RE.fullmatch(backup_id):
            raise InvalidInput(f"invalid backup id {str(backup_id)[:60]!r}: use one from "
                               f"paas services:backups {name}")
        found = next((b for b in self.list(name) if b.id == backup_id), None)
        if found is None:
            raise NotFound(f"{name} has no backup {backup_id}")
        return found

    def backup(self, name: str, reason: str = "manual") -> Backup:
        ds = self.datastores.get(name)
        with self.datastores.lock(name):
            return self._backup(ds, reason)

    def final(self, ds: Datastore) -> str | None:
        """For destroy, which holds the datastore's lock already."""
        return self._backup(ds, "final").id

    def _backup(self, ds: Datastore, reason: str) -> Backup:
        kind = r.KINDS[ds.kind]
        backup_id = f"{_stamp()}-{reason}"
        target = self.directory(ds.name) / f"{backup_id}.{kind.backup_ext}"

        def fill(out: BinaryIO) -> None:
            code, err = self.data.exec_to_file(
                self.datastores.container(ds), r.backup_argv(ds.kind, ds.name), kind.user,
                r.exec_env(ds.kind, ds.password), out, MAX_BACKUP)
            if code != 0:
                raise DatastoreFailed(f"backup of {ds.name} failed (status {code}): "
                                      f"{err.strip().splitlines()[-1:] or ''}")

        self._write_new(target, fill)
        st = target.stat()
        return Backup(backup_id, reason, st.st_size, st.st_mtime, target)

    def _write_new(self, target: Path, fill) -> None:
        partial = target.with_name(target.name + PARTIAL)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                fill(out)
                out.flush()
                os.fsync(out.fileno())
            if partial.stat().st_size == 0:
                raise DatastoreFailed(f"the backup {target.name} came out empty")
            os.rename(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    def restore(self, name: str, backup_id: str, on_line: LineWriter) -> dict:
        """Replace the datastore's data with a backup's; what was there is backed up first."""
        ds = self.datastores.get(name)
        chosen = self.get(name, backup_id)
        with self.datastores.lock(name):
            before = self._backup(ds, "pre-restore")
            on_line(f"-----> Backed up the current data of {name} as {before.id}")
            on_line(f"-----> Restoring {chosen.id} into {name}")
            self._restore_file(ds, chosen.path)
        return {"restored": chosen.id, "replaced": before.id}

    def _restore_file(self, ds: Datastore, path: Path) -> None:
        container = self.datastores.container(ds)
        kind = r.KINDS[ds.kind]
        owner = self.data.user_ids(container, kind.user)
        size = path.stat().st_size
        if ds.kind == "postgres":
            with open(path, "rb") as source:
                self.data.put_file(container, r.RESTORE_FILE, source, size, owner)
            try:
                code, out = self.data.exec_status(container, r.restore_argv(ds.kind, ds.name),
                                                  kind.user)
            finally:
                self.data.remove_path(container, r.RESTORE_FILE, kind.user)
            if code != 0:
                raise DatastoreFailed(f"pg_restore failed (status {code}): "
                                      f"{out.strip().splitlines()[-1:] or ''}")
            return
        # Redis reads its RDB file at start only: stop it (it must not save over the file),
        # put the file in place, start it again.
        self.engine.stop(container, timeout=10)
        with open(path, "rb") as source:
            self.data.put_file(container, f"{r.DATA_DIR}/dump.rdb", source, size, owner)
        self.data.start_container(container)
        self.datastores.wait_ready(ds)

    def export(self, name: str, backup_id: str) -> Iterator[bytes]:
        chosen = self.get(name, backup_id)
        with open(chosen.path, "rb") as source:
            while chunk := source.read(1 << 16):
                yield chunk

    def import_(self, name: str, stream: BinaryIO, limit: int = MAX_BACKUP) -> Backup:
        """A backup from outside (services:import), kept as one more backup to restore."""
        ds = self.datastores.get(name)
        backup_id = f"{_stamp()}-import"
        target = self.directory(name) / f"{backup_id}.{r.KINDS[ds.kind].backup_ext}"

        magic = MAGIC[ds.kind]

        def fill(out: BinaryIO) -> None:
            total = 0
            while chunk := stream.read(1 << 16):
                if total == 0 and not chunk.startswith(magic[:len(chunk)]):
                    raise InvalidInput(f"that is not a {ds.kind} backup (a {DESCRIBE[ds.kind]} "
                                       f"starts with {magic.decode()})")
                total += len(chunk)
                if total > limit:
                    raise InvalidInput(f"the backup is over {limit} bytes")
                out.write(chunk)
            if total < len(magic):
                raise InvalidInput(f"that is not a {ds.kind} backup: it is empty or truncated")
        self._write_new(target, fill)
        st = target.stat()
        return Backup(backup_id, "import", st.st_size, st.st_mtime, target)

    # the schedule
    def due(self, now: float) -> list[str]:
        """Datastores whose last scheduled backup is older than PAAS_BACKUP_HOURS."""
        if self.settings.backup_hours <= 0:
            return []
        out = []
        for ds in self.store.list_datastores():
            last = max((b.created_at for b in self.list(ds.name) if b.reason == "scheduled"),
                       default=ds.created_at)
            if now - last >= self.settings.backup_hours * 3600:
                out.append(ds.name)
        return out

    def prune(self, name: str) -> list[str]:
        """Scheduled backups beyond PAAS_BACKUP_KEEP go; others stay until removed by hand."""
        scheduled = [b for b in self.list(name) if b.reason == "scheduled"]
        gone = scheduled[self.settings.backup_keep:]
        for b in gone:
            b.path.unlink(missing_ok=True)
        return [b.id for b in gone]

    def run_due(self, now: float | None = None) -> list[str]:
        made = []
        for name in self.due(time.time() if now is None else now):
            try:
                made.append(self.backup(name, "scheduled").id)
                self.prune(name)
            except Exception:  # one failing datastore must not stop the others' backups
                continue
        return made

    def run_forever(self, stop: threading.Event, every: float = 60.0) -> None:
        while not stop.is_set():
            self.run_due()
            self.wakeup.wait(every)
            self.wakeup.clear()


def _stamp() -> str:
    now = time.time()
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
