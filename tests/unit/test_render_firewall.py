"""The host firewall's rules, rendered exactly (issue 9: containers reach no host port but the
router's)."""
import pytest

from paas.render.firewall import ROUTERS, chain_name, plan
from paas.services.host_firewall import platform_plan, protect
from paas.settings import Settings


def test_the_pool_jumps_to_the_chain_which_opens_only_the_router_ports():
    p = plan("p1", ["10.200.0.0/16"], [8443, 8080, 8080])
    assert p.chain == "PAAS-p1" and p.instance == "p1"
    assert p.jumps == [["-s", "10.200.0.0/16", "-m", "comment", "--comment", "paas p1",
                        "-j", "PAAS-p1"]]
    # No port of its own: the shared chain holds every live instance's router ports, so one
    # platform's REJECT never shuts a container out of another platform's router.
    assert p.rules == [
        ["-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN"],
        ["-j", "PAAS-ROUTERS"],
        ["-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"],
        ["-j", "REJECT", "--reject-with", "icmp-port-unreachable"],
    ]
    assert p.routers == [
        ["-p", "tcp", "-m", "tcp", "--dport", "8080", "-m", "comment", "--comment", "paas p1",
         "-j", "ACCEPT"],
        ["-p", "tcp", "-m", "tcp", "--dport", "8443", "-m", "comment", "--comment", "paas p1",
         "-j", "ACCEPT"],
    ]


def test_two_instances_share_the_routers_chain_each_with_its_own_tagged_rules():
    a, b = plan("pa", ["10.200.0.0/16"], [80, 443]), plan("pb", ["10.200.0.0/16"], [8080])
    assert ROUTERS == "PAAS-ROUTERS"
    assert ["-j", ROUTERS] in a.rules and ["-j", ROUTERS] in b.rules
    assert a.rules == b.rules  # the same walls; only the jumps and the router rules differ
    assert all(r[r.index("--comment") + 1] == "paas pa" for r in a.routers)
    assert [r[r.index("--comment") + 1] for r in b.routers] == ["paas pb"]
    assert all(r[-2:] == ["-j", "ACCEPT"] for r in a.routers + b.routers)


def test_a_chain_name_too_long_for_iptables_is_refused():
    assert chain_name("p0123456789") == "PAAS-p0123456789"
    with pytest.raises(ValueError, match="longer than 28"):
        chain_name("x" * 24)


def test_the_platform_plan_uses_its_pool_and_router_ports(tmp_path):
    settings = Settings(home=tmp_path, instance="p9", http_port=80, https_port=443,
                        network_pool="10.210.0.0/16")
    p = platform_plan(settings)
    assert p.jumps[0][:2] == ["-s", "10.210.0.0/16"]
    assert [r[r.index("--dport") + 1] for r in p.routers] == ["80", "443"]
    assert not any("--dport" in r for r in p.rules)


class RecordingFirewall:
    def __init__(self, available=True):
        self.applied, self._available = [], available

    def available(self):
        return self._available

    def apply(self, plan):
        self.applied.append(plan)

    def remove_all(self, instance):
        raise AssertionError("not asked")


def test_protect_applies_unless_turned_off_or_missing(tmp_path):
    on = Settings(home=tmp_path, instance="p9")
    fw = RecordingFirewall()
    assert "chain PAAS-p9" in protect(on, fw) and len(fw.applied) == 1
    off = Settings(home=tmp_path, instance="p9", firewall=False)
    assert "PAAS_FIREWALL=off" in protect(off, fw) and len(fw.applied) == 1
    assert "iptables is missing" in protect(on, RecordingFirewall(available=False))


def test_the_firewall_setting_reads_off_and_round_trips(tmp_path):
    settings = Settings.from_env({"PAAS_HOME": str(tmp_path), "PAAS_FIREWALL": "off"})
    assert settings.firewall is False
    assert Settings.from_env(settings.to_env()).firewall is False
    assert Settings.from_env({"PAAS_HOME": str(tmp_path)}).firewall is True
