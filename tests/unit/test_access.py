"""The scope rule (paas.domain.access) on its own: what each role may call."""
from paas.domain.access import ALLOW, FORBID, HIDE, Principal, decide

ADMIN = Principal("root")
DEV = Principal("dev", "app", frozenset({"mine"}))


def test_an_admin_may_call_everything():
    assert decide(ADMIN, "DELETE", "/api/v1/tokens/<name>", "x") == ALLOW
    assert decide(ADMIN, "DELETE", "/api/v1/apps/<name>", "theirs") == ALLOW


def test_an_app_token_sees_its_apps_only():
    assert decide(DEV, "PATCH", "/api/v1/apps/<name>/config", "mine") == ALLOW
    assert decide(DEV, "HEAD", "/apps/<name>/logs", "mine") == ALLOW
    assert decide(DEV, "GET", "/api/v1/apps/<name>/config", "theirs") == HIDE
    assert decide(DEV, "POST", "/apps/<name>/destroy", "theirs") == HIDE  # 404 before 403
    assert decide(DEV, "DELETE", "/api/v1/apps/<name>", "mine") == FORBID
    assert decide(DEV, "POST", "/apps/<name>/destroy", "mine") == FORBID


def test_routes_that_name_no_app_are_admin_only_unless_listed():
    assert decide(DEV, "GET", "/api/v1/apps", None) == ALLOW
    assert decide(DEV, "GET", "/api/v1/token", None) == ALLOW
    assert decide(DEV, "POST", "/api/v1/apps", None) == FORBID
    assert decide(DEV, "GET", "/api/v1/tokens", None) == FORBID
    assert decide(DEV, "POST", "/api/v1/control-plane/certs", None) == FORBID
    assert decide(DEV, "GET", "/api/v1/something-new", None) == FORBID
    assert decide(DEV, "GET", "/api/v1/apps/<app>/new-thing", None) == FORBID  # not <name>
