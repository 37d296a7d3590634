"""Git over smart HTTP at /git/<app>.git: who may push, and a push becomes a deploy.

Translates a push into the deploy use case; the protocol itself is the git_server adapter's.
"""
from __future__ import annotations

from paas.adapters.git_server import Push, Rejected, make_git_app
from paas.bootstrap import Services
from paas.errors import PaasError


def mount_git(wsgi_app, services: Services):
    def authenticate(_user: str, password: str) -> str | None:
        who = services.tokens.authenticate(password)
        return who.name if who is not None else None

    def on_push(push: Push, write_line) -> None:
        try:
            services.deployer.deploy_push(push.app, push.new_sha, write_line, created_by=push.user)
        except PaasError as exc:
            raise Rejected(exc.message) from exc

    git_app = make_git_app(services.repos, authenticate, on_push,
                           authorize=services.tokens.may_access,
                           max_push=services.settings.max_push)

    def dispatch(environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/git/"):
            return git_app(environ, start_response)
        return wsgi_app(environ, start_response)

    return dispatch
