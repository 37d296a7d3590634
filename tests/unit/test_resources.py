import pytest

from paas.domain.resources import effective, parse
from paas.errors import InvalidInput


def test_parse_and_layering():
    assert parse(["memory=512M", "cpus=0.5", "pids=256"]) == {"memory": "512m", "cpus": "0.5", "pids": "256"}
    limits = {"*": {"memory": "1g"}, "worker": {"memory": "256m", "cpus": "1"}}
    assert effective(limits, "web") == {"pids": "1024", "memory": "1g"}
    assert effective(limits, "worker") == {"pids": "1024", "memory": "256m", "cpus": "1"}


@pytest.mark.parametrize("arg,message", [
    ("memory=lots", "invalid memory"), ("memory=1k", "invalid memory"), ("cpus=0", "invalid cpus"),
    ("cpus=-1", "invalid cpus"), ("pids=5", "invalid pids"), ("disk=1g", "unknown resource"),
    ("memory", "is not KEY=VALUE"),
])
def test_bad_resources(arg, message):
    with pytest.raises(InvalidInput, match=message):
        parse([arg])
