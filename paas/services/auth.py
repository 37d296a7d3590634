"""API tokens: the admin token made at first start, named tokens with roles (admin, or app
tokens scoped to some apps), checking a presented token, and "may this token use app X".

Tokens are stored as SHA-256 digests (they are random, 256-bit, so no slow hash is needed) and
compared in constant time. Revoking a token revokes every token it made (and theirs), so a
leaked admin token cannot leave children behind. A token's last use is recorded, at most once a
minute (a write per request would serialise every request on SQLite's lock).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from paas.domain.access import ADMIN as ADMIN_ROLE, APP, Principal, TokenRecord
from paas.domain.names import APP_NAME_RE, validate_app_name
from paas.errors import Forbidden, InvalidInput, NotFound
from paas.ports import Store

ADMIN = "admin"  # the name of the token made at first start (its role is admin too)
TOUCH_SECONDS = 60.0


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

    def create(self, name: str, *, apps: list[str] | tuple[str, ...] = (), admin: bool = False,
               created_by: str | None = None) -> str:
        """A new token named `name`: an admin token, or one for `apps` only. Its value is
        returned, the only time it is shown."""
        if not isinstance(name, str) or not APP_NAME_RE.fullmatch(name):
            raise InvalidInput(f"invalid token name {str(name)[:40]!r}: use 1 to 30 lowercase "
                               "letters, digits and '-', starting with a letter")
        if admin == bool(apps):
            raise InvalidInput("a token is either an admin token or names its apps: "
                               "pass admin, or one or more apps")
        for app in apps:
            if self.store.get_app(validate_app_name(app)) is None:
                raise NotFound(f"no such app: {app}")
        token = secrets.token_urlsafe(32)
        self.store.create_token(name, digest(token), ADMIN_ROLE if admin else APP,
                                tuple(sorted(set(apps))), created_by)
        return token

    def list(self) -> list[tuple[str, float]]:
        return self.store.list_tokens()

    def records(self) -> list[TokenRecord]:
        return self.store.token_records()

    def revoke(self, name: str, caller: str) -> list[str]:
        """Revokes `name` and every token it made; returns the names revoked."""
        if name == caller:
            raise Forbidden("a token cannot revoke itself: use another token")
        if name == ADMIN:
            raise Forbidden("the admin token cannot be revoked (delete $PAAS_HOME/admin-token "
                           "and restart the platform to make a new one)")
        records = {r.name: r for r in self.records()}
        if name not in records:
            raise NotFound(f"no token named {name!r}")
        # A token that made the caller (or made the caller's maker) would take the caller along.
        maker = records[caller].created_by if caller in records else None
        while maker is not None:
            if maker == name:
                raise Forbidden(f"revoking {name} would revoke {caller} too (it made it): "
                                "use another token")
            maker = records[maker].created_by if maker in records else None
        return self.store.delete_token(name)

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

    def authenticate(self, token: str | None) -> Principal | None:
        """Who presents `token` (recording its use), or None when it is unknown."""
        name = self.identify(token)
        return self.named(name, touch=True) if name is not None else None

    def named(self, name: str, touch: bool = False) -> Principal | None:
        """The token called `name` as a principal (e.g. a dashboard session's), or None."""
        record = next((r for r in self.records() if r.name == name), None)
        if record is None:
            return None
        now = time.time()
        if touch and (record.last_used is None or now - record.last_used >= TOUCH_SECONDS):
            self.store.touch_token(name, now)
        return record.principal()

    def may_access(self, name: str, app: str) -> bool:
        """May the token called `name` use app `app` (its config, credentials, logs, ...)? The
        one question other use cases ask before they show an app's secrets."""
        who = self.named(name)
        return who is not None and who.may_access(app)

    def end_session(self, sid: str, until: float) -> None:
        """A dashboard session signed out before its idle end (`until`): a copy of its cookie
        must not work again, not even after a restart."""
        self.store.add_signed_out(sid, until)

    def session_ended(self, sid: object) -> bool:
        return isinstance(sid, str) and self.store.is_signed_out(sid)

    def check_app(self, name: str, app: str) -> None:
        """Raises the NotFound an unknown app gets when the token may not use `app`."""
        if not self.may_access(name, app):
            raise NotFound(f"no such app: {app}")
