"""The fields of package.json the nodejs buildpack acts on, checked before anything is installed:
npm would refuse a package.json that is not a JSON object, but later and less clearly, and a
wrongly typed `engines` or `scripts` would be silently ignored.

  package_json.py BUILD_DIR FIELD   FIELD is engines.node, scripts.build or scripts.start:
                                    its value, or nothing when it is absent
Exits 2 with a one-line reason on stderr when package.json is not valid.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

FIELDS = ("engines.node", "scripts.build", "scripts.start")


class PackageError(ValueError):
    pass


def load(text: str) -> dict:
    """The parsed package.json, with every field in FIELDS of the right type."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PackageError(f"package.json is not valid JSON: {exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno}") from None
    if not isinstance(data, dict):
        raise PackageError(f"package.json must hold a JSON object ({{...}}), not {_kind(data)}")
    for name, example in (("engines", '{"node": "20.x"}'), ("scripts", '{"start": "node server.js"}')):
        if not isinstance(data.get(name, {}), dict):
            raise PackageError(f'package.json: "{name}" must be an object such as {example}, '
                               f"not {_kind(data[name])}")
    for dotted in FIELDS:
        value = field(data, dotted)
        if not isinstance(value, str):
            raise PackageError(f"package.json: {dotted} must be a string, not {_kind(value)}")
    return data


def field(data: dict, dotted: str) -> object:
    section, name = dotted.split(".")
    return data.get(section, {}).get(name, "")


def _kind(value: object) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "true/false",
             int: "a number", float: "a number", type(None): "null"}
    return f"{kinds.get(type(value), type(value).__name__)} ({json.dumps(value)[:40]})"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in FIELDS:
        print(f"usage: package_json.py BUILD_DIR {'|'.join(FIELDS)}", file=sys.stderr)
        return 2
    try:
        raw = (Path(argv[0]) / "package.json").read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PackageError("package.json is not UTF-8 text") from None
        print(field(load(text), argv[1]))
    except (PackageError, OSError) as exc:
        print(exc if isinstance(exc, PackageError) else f"package.json cannot be read: {exc.strerror}",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
