"""Routing straight to containers (issue 14): addresses on the app network, never host ports."""
from paas.adapters.docker_engine import _env_port
from paas.services.scheduler import _address
from tests.fakes import FakeContainer


def container(addresses, port=5000):
    return FakeContainer("c1", "n", "running", {}, {}, addresses=addresses, port=port)


def test_the_address_on_the_app_network_wins():
    c = container({"bridge": "172.17.0.5", "paas-p1-hello": "10.200.1.7"})
    assert _address(c, "paas-p1-hello") == "10.200.1.7:5000"


def test_a_container_from_before_app_networks_is_reached_on_its_only_network():
    assert _address(container({"bridge": "172.17.0.5"}), "paas-p1-hello") == "172.17.0.5:5000"
    assert _address(container({"a": "172.17.0.5", "b": "172.18.0.5"}), "paas-p1-hello") is None


def test_no_address_without_an_ip_or_a_port():
    assert _address(container({}), "paas-p1-hello") is None
    assert _address(container({"paas-p1-hello": "10.200.1.7"}, port=None), "paas-p1-hello") is None


def test_port_comes_from_the_environment_the_container_was_created_with():
    assert _env_port(["A=PORT=1", "PORT=8000", "X=y"]) == 8000
    assert _env_port(["PORTS=1"]) is None and _env_port(["PORT=abc"]) is None

