"""Per-app networks on the real daemon: more apps than Docker's default pools hold (~30),
exact names (Docker's name filter also matches parts of names), removal of one app's only."""
import pytest

from paas.adapters.docker_engine import DockerEngine
from paas.adapters.http_probe import HttpProbe
from paas.render.container import network_name
from paas.services.scheduler import Scheduler
from paas.settings import Settings
from tests.support import remove_docker_objects

APPS = 40


@pytest.fixture
def scheduler(tmp_path):
    settings = Settings(home=tmp_path, instance="tnet1", network_pool="10.201.0.0/16",
                        network_size=26)
    yield Scheduler(settings, DockerEngine(), HttpProbe())
    remove_docker_objects(settings.instance)


def test_forty_app_networks_each_get_a_subnet_of_the_pool(scheduler):
    engine = scheduler.engine
    for i in range(APPS):
        scheduler.ensure_network(f"app{i}")
    nets = {n.name: n for n in engine.client.networks.list(filters={"label": "paas.instance=tnet1"})}
    assert len(nets) == APPS
    subnets = {n.attrs["IPAM"]["Config"][0]["Subnet"] for n in nets.values()}
    assert len(subnets) == APPS and all(s.startswith("10.201.") and s.endswith("/26") for s in subnets)

    # "app1" is a part of "app10".."app19": it must be removed alone, and made again alone.
    engine.remove_network(network_name("tnet1", "app1"))
    assert engine.network_exists(network_name("tnet1", "app10"))
    assert not engine.network_exists(network_name("tnet1", "app1"))
    scheduler.ensure_network("app1")
    assert engine.network_exists(network_name("tnet1", "app1"))
