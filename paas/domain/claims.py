"""Which host names an app may claim: the rule against domain squatting.

nginx routes a request by its Host, so a domain an app adds takes that name's traffic. An app
therefore may not claim a name the platform gives out or uses itself: `<other>.<PAAS_DOMAIN>`
(of an app that exists now or may exist later: anything under PAAS_DOMAIN but the app's own
default host and the names under it), the control plane's PAAS_API_HOST, `localhost` names,
and IP literals (a Host of `127.0.0.1` would reach the squatter instead of the default
server). Which app already holds a domain is the store's rule (one owner per domain).
"""
from __future__ import annotations

import ipaddress

from paas.domain.names import APP_NAME_RE


def refusal(domain: str, app: str, platform_domain: str, api_host: str = "") -> str | None:
    """Why `app` may not claim `domain` (already validated and lowercased), or None."""
    bare = domain.removeprefix("*.")
    if _is_ip(bare):
        return f"{domain} is an IP address: an app is served at host names only"
    if api_host and bare == api_host:
        return f"{domain} is the platform's own host name (PAAS_API_HOST)"
    own = f"{app}.{platform_domain}"
    if bare == own or bare.endswith("." + own):
        return None
    if bare == platform_domain or bare.endswith("." + platform_domain):
        owner = bare.removesuffix("." + platform_domain).rsplit(".", 1)[-1]
        if bare == platform_domain:
            return f"{domain} is the platform's domain (PAAS_DOMAIN): apps get names under it"
        if APP_NAME_RE.fullmatch(owner):
            return f"{domain} is under the default host of app {owner} " \
                   "(it need not exist yet): only that app is served there"
        return f"{domain} is under PAAS_DOMAIN ({platform_domain}), where only apps' default " \
               "hosts are served"
    if bare == "localhost" or bare.endswith(".localhost"):
        return f"{domain} is a localhost name: it always means this host"
    return None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        # inet_aton's short forms (127.1) and all-number names: no top-level domain is numeric
        return name.rsplit(".", 1)[-1].isdigit()
