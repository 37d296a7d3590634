"""API tokens: the admin token made at first start, and checking a presented token.

Tokens are stored as SHA-256 digests (they are random, 256-bit, so no slow hash is needed) and
compared in constant time.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from paas.domain.names import APP_NAME_RE
from paas.errors import Forbidden, InvalidInput, NotFound
from paas.ports import Store

ADMIN = "admin"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Tokens:
    def __init__(self, store: Store) -> None:
        self.store = store

    def ensure_admin(self, token_file: Path) -> str:
        """Return the admin token, creating it (file mode 0600) the first time."""
        if token_file.is_file():
            token = token_file.read_text().strip()
        else:
            token = secrets.token_urlsafe(32)
            token_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(token + "\n")
        if self.store.token_digests().get(ADMIN) != digest(token):
            self.store.add_token(ADMIN, digest(token))
        return token

    def create(self, name: str) -> str:
        """A new token named `name`; the only time its value is shown."""
        if not isinstance(name, str) or not APP_NAME_RE.fullmatch(name):
            raise InvalidInput(f"invalid token name {str(name)[:40]!r}: use 1 to 30 lowercase "
                               "letters, digits and '-', starting with a letter")
        token = secrets.token_urlsafe(32)
        self.store.create_token(name, digest(token))
        return token

    def list(self) -> list[tuple[str, float]]:
        return self.store.list_tokens()

    def revoke(self, name: str, caller: str) -> None:
        if name == caller:
            raise Forbidden("a token cannot revoke itself: use another token")
        if name == ADMIN:
            raise Forbidden("the admin token cannot be revoked (delete $PAAS_HOME/admin-token "
                           "and restart the platform to make a new one)")
        if not self.store.delete_token(name):
            raise NotFound(f"no token named {name!r}")

    def identify(self, token: str | None) -> str | None:
        """The name of the token's owner, or None when the token is unknown."""
        if not token:
            return None
        presented = digest(token)
        found = None
        for name, stored in self.store.token_digests().items():
            if hmac.compare_digest(presented, stored):
                found = name
        return found
