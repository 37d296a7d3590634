"""`python -m paas.server.platform_backup backup|restore FILE` (make backup / make restore):
wires the platform backup use case to the SQLite online-copy adapter and prints one line."""
from __future__ import annotations

import sys
from pathlib import Path

from paas.adapters.sqlite_backup import online_copy
from paas.errors import PaasError
from paas.services import platform_backup
from paas.settings import Settings


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] not in ("backup", "restore"):
        print("usage: python -m paas.server.platform_backup backup|restore FILE", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    try:
        if args[0] == "backup":
            made = platform_backup.backup(settings, Path(args[1]), online_copy,
                                          _exports(settings))
            skipped = f", skipped {len(made['skipped'])} links or odd names" if made["skipped"] else ""
            print(f"Backed up {settings.home} to {args[1]}: {made['files']} files, "
                  f"{made['bytes']} bytes{skipped}")
        else:
            count = platform_backup.restore(settings, Path(args[1]).read_bytes())
            print(f"Restored {count} files into {settings.home}; run `make up` to start it")
    except (PaasError, OSError) as exc:
        print(f"paas: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    return 0


def _exports(settings: Settings):
    """Every app's export (images, volumes, services' backups), through the use cases."""
    def run() -> dict[str, bytes]:
        from paas.bootstrap import build_services
        return build_services(settings).platform.exports()
    return run


if __name__ == "__main__":
    sys.exit(main())
