"""The small parts of the router's handover: the kernel setting and the port check."""
from __future__ import annotations

import socket

from paas.adapters.ports import taken
from paas.adapters.sysctl import enable_migrate_req


def test_migrate_req_is_set_once_and_missing_is_said(tmp_path):
    knob = tmp_path / "tcp_migrate_req"
    knob.write_text("0\n")
    assert enable_migrate_req(knob) is None
    assert knob.read_text() == "1\n"
    assert enable_migrate_req(knob) is None  # already 1: left alone
    assert "Linux before 5.14" in enable_migrate_req(tmp_path / "missing")


def test_a_port_with_a_listener_is_taken_even_one_with_so_reuseport():
    with socket.socket() as listener:
        # The router's own option: a second bind with it would succeed, the check's does not.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        listener.listen()
        assert taken(port, "127.0.0.1")
        assert taken(port)  # 0.0.0.0 overlaps every address
    assert not taken(port, "127.0.0.1")
