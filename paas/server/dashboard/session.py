"""Dashboard sessions: sign-in with an API token, sign-out, and who may see a page.

The session is Flask's signed cookie. It holds the token's name (never the token), when it was
signed in, when it was last used and a random id; it ends after IDLE_SECONDS without a page
view, when its token is revoked (or replaced by a new one of the same name), and at sign-out.
"""
from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from flask import (Blueprint, current_app, flash, g, redirect, render_template, request,
                   session, url_for)

from flask.sessions import SecureCookieSessionInterface

from paas.server.dashboard.common import services

IDLE_SECONDS = 12 * 3600
SECRET_FILE = "dashboard-secret"
OPEN = {"dashboard.static", "dashboard.session.sign_in"}

bp = Blueprint("session", __name__)


class CookieOverHttps(SecureCookieSessionInterface):
    """The session cookie is `Secure` whenever the dashboard is served over HTTPS (through the
    router at PAAS_API_HOST; ProxyFix makes request.is_secure say so), and plain on loopback."""

    def get_cookie_secure(self, app) -> bool:
        return request.is_secure or super().get_cookie_secure(app)


def secret_key(home: Path) -> str:
    """The key that signs session cookies, made once (mode 0600) so sessions survive restarts."""
    path = home / SECRET_FILE
    home.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        key = secrets.token_hex(32)
        fh.write(key + "\n")
    return key


def passive(view):
    """Marks a view that the page calls by itself (live parts, log stream): it does not count
    as use, so an open tab alone does not keep a session alive."""
    view.passive = True
    return view


def _problem() -> str | None:
    """Why the current session may not be used ('' when there simply is none), or None."""
    if "token" not in session:
        return ""
    # A copy of a signed cookie stays valid until it expires, so sign-outs are stored.
    if services().tokens.session_ended(session.get("sid")):
        return "This session was signed out."
    idle = current_app.config["PAAS_SESSION_IDLE_SECONDS"]
    if time.time() - session.get("seen", 0) > idle:
        return f"Your session expired after {_duration(idle)} without use; sign in again."
    created = dict(services().tokens.list()).get(session["token"])
    if created is None or created > session.get("since", 0):
        return f"The token {session['token']} was revoked; sign in with a valid token."
    return None


def _duration(seconds: float) -> str:
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"


def check():
    """None when the request may go on; else where to go (the sign-in page)."""
    if request.endpoint in OPEN:
        return None
    passive_view = getattr(current_app.view_functions.get(request.endpoint), "passive", False)
    problem = _problem()
    if problem is not None:
        if problem:  # (with no session at all, keep what it holds: its CSRF token, a message)
            session.clear()
            flash(problem, "error")
        back = request.full_path.rstrip("?") if request.method == "GET" and not passive_view else None
        return redirect(url_for("dashboard.session.sign_in", next=back), 303)
    g.token_name = session["token"]
    if not passive_view:
        session["seen"] = time.time()
    return None


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never an open redirect to another host. Browsers drop tabs and
    # newlines from URLs and read '\\' as '/', so `/\t/evil.example` would be `//evil.example`:
    # no whitespace or control characters at all, no '\\', no '//' start.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and all(" " < ch < "\x7f" for ch in target):
        return target
    return url_for("dashboard.apps.index")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if request.method == "GET":
        if "token" in session and _problem() is None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("sign_in.html", next=request.args.get("next", ""))
    who = services().tokens.authenticate(request.form.get("token", "").strip())  # a use too
    name = who.name if who is not None else None
    if name is None:
        flash("That token is not valid.", "error")
        return render_template("sign_in.html", next=request.form.get("next", "")), 401
    session.clear()  # a fresh session (and CSRF token) for every sign-in
    now = time.time()
    session.update(token=name, sid=secrets.token_urlsafe(16), since=now, seen=now)
    session.permanent = True
    return redirect(_safe_next(request.form.get("next")), 303)


@bp.post("/sign-out")
def sign_out():
    idle = current_app.config["PAAS_SESSION_IDLE_SECONDS"]
    services().tokens.end_session(session["sid"], session["seen"] + idle)
    session.clear()
    flash("Signed out.", "ok")
    return redirect(url_for("dashboard.session.sign_in"), 303)
