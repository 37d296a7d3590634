"""The iptables adapter: applies a `paas.render.firewall.FirewallPlan`, removes it again.

Needs root, or CAP_NET_ADMIN (and CAP_NET_RAW for the xtables lock) in the host's network
namespace. Idempotent: `apply` rebuilds the chain in place and leaves exactly the plan's jumps
in the hook; `remove_all` takes out the chain and every jump to it.
"""
from __future__ import annotations

import shlex
import shutil
import subprocess

from paas.errors import PaasError
from paas.render.firewall import HOOK, FirewallPlan, chain_name


class FirewallError(PaasError):
    id = "firewall_error"
    status = 500


class Iptables:
    def __init__(self, binary: str = "iptables") -> None:
        self.binary = binary

    def available(self) -> bool:
        return shutil.which(self.binary) is not None

    def apply(self, plan: FirewallPlan) -> None:
        if not self._ok("-n", "-L", plan.chain):
            self._run("-N", plan.chain)
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
        """Uninstall: the chain of this instance and every jump to it; nothing else."""
        chain = chain_name(instance)
        for jump in self._jumps(chain):
            self._run("-D", HOOK, *jump)
        if self._ok("-n", "-L", chain):
            self._run("-F", chain)
            self._run("-X", chain)

    def listing(self, instance: str) -> list[str]:
        """`iptables -S` lines of the chain and of the jumps to it (for tests and status)."""
        chain = chain_name(instance)
        hook = self._run("-S", HOOK).splitlines()
        own = self._run("-S", chain).splitlines() if self._ok("-n", "-L", chain) else []
        return [l for l in hook if l.endswith(f"-j {chain}")] + own

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

