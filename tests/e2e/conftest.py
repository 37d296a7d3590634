import pytest

from tests.support import start_platform, stop_platform


@pytest.fixture(scope="session")
def platform(tmp_path_factory):
    """One platform for the end-to-end tests that don't need their own."""
    p = start_platform(tmp_path_factory.mktemp("e2e"), "main", keep_releases=3, drain_seconds=2)
    yield p
    stop_platform(p)
