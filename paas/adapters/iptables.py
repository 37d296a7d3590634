"""The iptables adapter: applies a `paas.render.firewall.FirewallPlan`, removes it again.

Needs root, or CAP_NET_ADMIN (and CAP_NET_RAW for the xtables lock) in the host's network
namespace. Idempotent: `apply` rebuilds the chain in place, leaves exactly the plan's jumps in
the hook and exactly the plan's router rules of the instance in the shared ROUTERS chain;
`remove_all` takes out the chain, every jump to it and the instance's rules in ROUTERS (and
ROUTERS itself once no instance has a rule there). Other instances' rules are never touched.
"""
from __future__ import annotations

import shlex
import shutil
import subprocess

from paas.errors import PaasError
from paas.render.firewall import HOOK, ROUTERS, FirewallPlan, chain_name, tag


class FirewallError(PaasError):
    id = "firewall_error"
    status = 500


class Iptables:
    def __init__(self, binary: str = "iptables") -> None:
        self.binary = binary

    def available(self) -> bool:
        return shutil.which(self.binary) is not None

    def apply(self, plan: FirewallPlan) -> None:
        # The shared chain first: the instance's chain jumps to it. Add before removing, so a
        # router port that stays open is never closed in between.
        self._ensure_chain(ROUTERS)
        for rule in plan.routers:
            if not self._ok("-C", ROUTERS, *rule):
                self._run("-A", ROUTERS, *rule)
        # Compared by port, not by text, so no spelling of iptables' can drop a wanted rule.
        wanted, seen = {_dport(rule) for rule in plan.routers}, set()
        for rule in self._tagged(ROUTERS, plan.instance):
            if _dport(rule) not in wanted or _dport(rule) in seen:
                self._run("-D", ROUTERS, *rule)
            seen.add(_dport(rule))
        self._ensure_chain(plan.chain)
        # Rules first, then the jumps: the chain is never jumped to half-built.
        self._run("-F", plan.chain)
        for rule in plan.rules:
            self._run("-A", plan.chain, *rule)
        wanted = {tuple(jump) for jump in plan.jumps}
        for jump in self._jumps(plan.chain):
            if tuple(jump) not in wanted:
                self._run("-D", HOOK, *jump)
        for jump in plan.jumps:
            if not self._ok("-C", HOOK, *jump):
                self._run("-I", HOOK, "1", *jump)

    def remove_all(self, instance: str) -> None:
        """Uninstall: the chain of this instance, every jump to it and its rules in ROUTERS;
        nothing of another instance (ROUTERS goes too once it holds no rule of any)."""
        chain = chain_name(instance)
        for jump in self._jumps(chain):
            self._run("-D", HOOK, *jump)
        if self._ok("-n", "-L", chain):
            self._run("-F", chain)
            self._run("-X", chain)
        if self._ok("-n", "-L", ROUTERS):
            for rule in self._tagged(ROUTERS, instance):
                self._run("-D", ROUTERS, *rule)
            if self._run("-S", ROUTERS).splitlines() == [f"-N {ROUTERS}"]:
                # Fails, harmlessly, while an instance chain without router ports jumps to it.
                self._ok("-X", ROUTERS)

    def listing(self, instance: str) -> list[str]:
        """`iptables -S` lines of the chain and of the jumps to it (for tests and status)."""
        chain = chain_name(instance)
        hook = self._run("-S", HOOK).splitlines()
        own = self._run("-S", chain).splitlines() if self._ok("-n", "-L", chain) else []
        routers = ([f"-A {ROUTERS} {shlex.join(rule)}" for rule in self._tagged(ROUTERS, instance)]
                   if self._ok("-n", "-L", ROUTERS) else [])
        return [l for l in hook if l.endswith(f"-j {chain}")] + own + routers

    def _ensure_chain(self, chain: str) -> None:
        # Another platform may create the shared chain at the same moment: only fail if, after
        # trying, it is still not there.
        if not self._ok("-n", "-L", chain) and not self._ok("-N", chain):
            self._run("-n", "-L", chain)

    def _tagged(self, chain: str, instance: str) -> list[list[str]]:
        """The rules of `chain` commented with `instance`'s tag, as rule specs."""
        out = []
        for line in self._run("-S", chain).splitlines():
            parts = shlex.split(line)
            if parts[:2] != ["-A", chain] or "--comment" not in parts:
                continue
            at = parts.index("--comment")
            if parts[at + 1:at + 2] == [tag(instance)]:
                out.append(parts[2:])
        return out

    def _jumps(self, chain: str) -> list[list[str]]:
        """The hook's rules that jump to `chain`, as rule specs."""
        out = []
        for line in self._run("-S", HOOK).splitlines():
            # `iptables -S` quotes a comment with spaces ("paas t1"); shlex reads it back.
            parts = shlex.split(line)
            if parts[:2] == ["-A", HOOK] and parts[-2:] == ["-j", chain]:
                out.append(parts[2:])
        return out

    def _ok(self, *args: str) -> bool:
        return subprocess.run([self.binary, "-w", *args], capture_output=True).returncode == 0

    def _run(self, *args: str) -> str:
        result = subprocess.run([self.binary, "-w", *args], capture_output=True, text=True)
        if result.returncode != 0:
            raise FirewallError(f"{self.binary} {' '.join(args)}: "
                                f"{(result.stderr or result.stdout).strip()[:300]}")
        return result.stdout


def _dport(rule: list[str]) -> str | None:
    return rule[rule.index("--dport") + 1] if "--dport" in rule else None
