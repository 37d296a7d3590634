"""Ten apps deploying at once each get a network: the picks of one process do not collide."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from paas.services.scheduler import Scheduler
from paas.settings import Settings
from tests.fakes import FakeEngine, FakeProbe


class SlowDaemon(FakeEngine):
    """Like dockerd: a create takes a while, and a subnet taken meanwhile is refused."""

    def create_network(self, name, labels, subnet):
        time.sleep(0.01)
        with self.guard:
            if subnet in self.subnets_in_use():
                return False
            return super().create_network(name, labels, subnet)


def test_ten_apps_get_their_networks_at_once(tmp_path):
    engine = SlowDaemon()
    engine.guard = threading.Lock()
    scheduler = Scheduler(Settings(home=tmp_path, instance="t1"), engine, FakeProbe())
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(scheduler.ensure_network, [f"app{i}" for i in range(10)]))
    subnets = [n["subnet"] for n in engine.networks.values()]
    assert len(subnets) == 10 and len(set(subnets)) == 10
