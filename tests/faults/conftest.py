"""The fault suite's platform: its own PAAS_HOME, ports and API process, so killing that
process never touches the shared platform of tests/e2e. One platform for the whole suite."""
import pytest

from tests.support import start_platform, stop_platform


@pytest.fixture(scope="session")
def faulty(tmp_path_factory):
    p = start_platform(tmp_path_factory.mktemp("faults"), "faults", keep_releases=3,
                       drain_seconds=3)
    yield p
    stop_platform(p)
