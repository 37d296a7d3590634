import pytest

from tests.support import start_platform, stop_platform

# A pool of the security tests' own: the platform's firewall chain covers exactly it.
POOL = "10.232.0.0/16"


@pytest.fixture(scope="session")
def platform(tmp_path_factory):
    """One platform, started by `control up` as root, so its firewall is on."""
    p = start_platform(tmp_path_factory.mktemp("security"), "sec", drain_seconds=1,
                       settings={"PAAS_NETWORK_POOL": POOL})
    yield p
    stop_platform(p)
