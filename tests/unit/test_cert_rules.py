"""The certificate decisions (paas.domain.certs): the renewal schedule, the backoff, which
certificate serves a host, what the renewal loop orders and drops, and what `certs` shows."""
from __future__ import annotations

from paas.domain.certs import (ACME, MANUAL, Cert, Plan, Routes, Status, TlsOptions, backoff,
                               covers, due_at, plan, renewal_time, routes, serving, status)

DAY = 86400.0
NOW = 1_000 * DAY


def acme(domain: str, owner: str = "web", *, start: float = NOW - 10 * DAY, days: float = 90,
         **kw) -> Cert:
    return Cert(owner, domain, ACME, kw.pop("state", "valid"), f"/c/{domain}.crt",
                f"/c/{domain}.key", "Pebble", "ab", start, start + days * DAY, **kw)


def manual(domain: str, owner: str = "web", *, days_left: float = 300) -> Cert:
    return Cert(owner, domain, MANUAL, "valid", f"/m/{domain}.crt", f"/m/{domain}.key", "Mine",
                "cd", NOW - DAY, NOW + days_left * DAY)


def test_renewal_starts_when_a_third_of_the_lifetime_remains():
    assert renewal_time(acme("a.test", start=NOW, days=90)) == NOW + 60 * DAY
    assert renewal_time(acme("a.test", start=NOW, days=45)) == NOW + 30 * DAY
    assert renewal_time(Cert("web", "a.test", ACME, "renewing")) is None


def test_the_servers_renewal_info_time_wins():
    assert renewal_time(acme("a.test", start=NOW, renew_at=NOW + 5 * DAY)) == NOW + 5 * DAY


def test_failures_back_off_doubling_up_to_six_hours():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff(30) == 6 * 3600


def test_when_an_order_falls_due():
    assert due_at(None, NOW) == NOW
    assert due_at(acme("a.test", state="renewing"), NOW) == NOW  # cut off by a restart
    assert due_at(acme("a.test", state="failed", retry_at=NOW + 60), NOW) == NOW + 60
    assert due_at(acme("a.test", start=NOW, days=90), NOW) == NOW + 60 * DAY


def test_wildcards_cover_one_label():
    assert covers(["*.example.com"], "www.example.com")
    assert not covers(["*.example.com"], "a.b.example.com")
    assert not covers(["*.example.com"], "example.com")
    assert covers(["WWW.Example.com"], "www.example.com")


def test_a_valid_manual_certificate_wins_and_expired_ones_serve_nothing():
    both = [acme("a.test"), manual("a.test"), acme("b.test", start=NOW - 100 * DAY)]
    assert {d: c.source for d, c in serving(both, NOW).items()} == {"a.test": MANUAL}
    expired_manual = [acme("a.test"), manual("a.test", days_left=-1)]
    assert serving(expired_manual, NOW)["a.test"].source == ACME


def test_the_plan_orders_what_is_due_and_drops_what_is_gone():
    certs = [acme("web.localhost", start=NOW - 70 * DAY),  # due 10 days ago
             acme("www.web.test", start=NOW - DAY),  # due in 59 days
             manual("shop.web.test"),  # a manual certificate: nothing to order
             acme("gone.web.test"),  # the domain was removed
             acme("api.test", owner="other")]  # its owner has automatic certificates off
    domains = {"web": ["web.localhost", "www.web.test", "shop.web.test", "new.web.test",
                       "*.wild.test"], "other": ["api.test"]}
    assert plan(domains, {"web"}, certs, NOW) == Plan(
        issue=(("web", "web.localhost"), ("web", "new.web.test")),
        drop=(certs[4], certs[3]),
        next_at=NOW - DAY + 60 * DAY)


def test_nothing_due_nothing_dropped():
    assert plan({}, set(), [], NOW) == Plan((), (), None)


def test_routes_split_plain_redirected_and_tls_hosts():
    certs = [acme("web.localhost"), manual("www.web.test"), acme("old.web.test", start=NOW - 200 * DAY)]
    names = ["web.localhost", "www.web.test", "old.web.test"]
    assert routes(names, certs, TlsOptions(), NOW) == Routes(
        plain=("old.web.test",), redirect=("web.localhost", "www.web.test"),
        sites=(("web.localhost", "/c/web.localhost.crt", "/c/web.localhost.key"),
               ("www.web.test", "/m/www.web.test.crt", "/m/www.web.test.key")))
    no_redirect = routes(names, certs, TlsOptions(redirect=False), NOW)
    assert no_redirect.plain == tuple(names) and no_redirect.redirect == ()


def test_status_rows():
    certs = [acme("web.localhost", start=NOW - DAY),
             acme("www.web.test", state="failed", last_error="no", retry_at=NOW + 60,
                  start=NOW - DAY),
             Cert("web", "new.web.test", ACME, "renewing"),  # a first order under way
             manual("shop.web.test")]
    names = ["web.localhost", "www.web.test", "new.web.test", "shop.web.test", "bare.web.test"]
    rows = status(names, certs, TlsOptions(auto=True), NOW)
    assert rows == [
        Status("web.localhost", ACME, "Pebble", NOW + 89 * DAY, "valid", NOW + 59 * DAY, ""),
        Status("www.web.test", ACME, "Pebble", NOW + 89 * DAY, "failed", NOW + 60, "no"),
        Status("new.web.test", ACME, "", None, "renewing", NOW, ""),
        Status("shop.web.test", MANUAL, "Mine", NOW + 300 * DAY, "valid", None, ""),
        Status("bare.web.test", "", "", None, "none", NOW, ""),
    ]
    assert status(["bare.web.test"], [], TlsOptions(), NOW) == [
        Status("bare.web.test", "", "", None, "none", None, "")]
