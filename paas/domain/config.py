"""Config var rules: valid keys, values, the per-app size limit, and parsing `K=V` arguments."""
from __future__ import annotations

import re

from paas.errors import InvalidInput

KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_CONFIG_BYTES = 32 * 1024
RESERVED_PREFIX = "PAAS_"


def validate_key(key: object) -> str:
    if not isinstance(key, str) or not KEY_RE.fullmatch(key):
        shown = repr(key)[:60]
        raise InvalidInput(f"invalid config key {shown}: use letters, digits and '_', not starting "
                           "with a digit")
    if key.upper().startswith(RESERVED_PREFIX):
        raise InvalidInput(f"invalid config key {key!r}: the {RESERVED_PREFIX} prefix is reserved "
                           "for the platform")
    return key


def validate_value(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"config value of {key} must be a string")
    if "\x00" in value:
        raise InvalidInput(f"config value of {key} contains a NUL byte")
    return value


def config_size(config: dict[str, str]) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in config.items())


def apply_changes(current: dict[str, str], set_: dict[str, str], unset: list[str]) -> dict[str, str]:
    """The config after setting and unsetting keys; raises InvalidInput and changes nothing when
    any key or value is invalid or the result is over the limit."""
    for key, value in set_.items():
        validate_value(validate_key(key), value)
    for key in unset:
        validate_key(key)
    new = {k: v for k, v in current.items() if k not in unset}
    new.update(set_)
    size = config_size(new)
    if size > MAX_CONFIG_BYTES:
        raise InvalidInput(f"config would be {size} bytes; the limit is {MAX_CONFIG_BYTES} bytes per app")
    return dict(sorted(new.items()))


def parse_assignments(args: list[str]) -> dict[str, str]:
    """`KEY=VALUE` arguments as the CLI takes them; the value may contain `=`."""
    pairs: dict[str, str] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep:
            raise InvalidInput(f"{arg[:60]!r} is not KEY=VALUE")
        pairs[validate_key(key)] = value
    return pairs
