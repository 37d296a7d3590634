"""Every unit test runs the scheduler's waits short: its probes and containers are fakes, so
the real boot timeout and settle time would only make the tests slow."""
import pytest

from paas.services import scheduler as scheduler_module


@pytest.fixture(autouse=True)
def fast_checks(monkeypatch):
    monkeypatch.setattr(scheduler_module, "SETTLE_SECONDS", 0)
    monkeypatch.setattr(scheduler_module, "BOOT_TIMEOUT", 0.3)
    monkeypatch.setattr(scheduler_module, "POLL_SECONDS", 0.01)
