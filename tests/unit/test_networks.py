"""Per-app network subnets: picked from the platform's pool, around what is taken."""
import pytest

from paas.domain.networks import free_subnet, parse_pool
from paas.errors import InvalidInput


def test_first_free_subnet_of_the_pool():
    assert free_subnet("10.200.0.0/16", 24, []) == "10.200.0.0/24"
    assert free_subnet("10.200.0.0/16", 24, ["10.200.0.0/24", "10.200.1.0/24"]) == "10.200.2.0/24"


def test_subnets_overlapping_a_wider_or_narrower_network_are_skipped():
    taken = ["10.200.0.0/23", "10.200.2.128/25", "fd00::/64", "not a network"]
    assert free_subnet("10.200.0.0/16", 24, taken) == "10.200.3.0/24"
    assert free_subnet("10.200.0.0/16", 24, ["10.0.0.0/8"]) is None


def test_a_full_pool_gives_none():
    assert free_subnet("10.200.0.0/23", 24, ["10.200.0.0/24", "10.200.1.0/24"]) is None


@pytest.mark.parametrize("pool,size,message", [
    ("10.200.0.0", 24, "CIDR"), ("10.200.0.1/16", 24, "CIDR"), ("fd00::/64", 80, "IPv4"),
    ("10.200.0.0/16", 8, "between"), ("10.200.0.0/16", 30, "between"), ("", 24, "CIDR"),
])
def test_bad_pools_are_refused(pool, size, message):
    with pytest.raises(InvalidInput, match=message):
        parse_pool(pool, size)
