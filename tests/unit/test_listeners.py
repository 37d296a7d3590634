from paas.domain.listeners import parse_listeners, why_not_answering

TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2 1
   2: 0100007F:1388 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 3 1
"""
TCP6 = """\
  sl  local_address                         remote_address                        st
   0: 00000000000000000000000000000000:1389 00000000000000000000000000000000:0000 0A
   1: 00000000000000000000000001000000:138A 00000000000000000000000000000000:0000 0A
   2: 0000000000000000FFFF00000100007F:138B 00000000000000000000000000000000:0000 0A
"""


def test_parses_ipv4_and_ipv6_listeners_only():
    assert parse_listeners(TCP + TCP6) == {("127.0.0.1", 5000), ("0.0.0.0", 8080), ("::", 5001),
                                          ("::1", 5002), ("127.0.0.1", 5003)}


def test_hints():
    assert "bind 0.0.0.0:$PORT instead" in why_not_answering({("127.0.0.1", 5000)}, 5000)
    assert why_not_answering({("0.0.0.0", 8000)}, 5000) == \
        "it listens on port 8000, not on $PORT (5000): bind 0.0.0.0:$PORT"
    assert why_not_answering({("0.0.0.0", 5000)}, 5000) is None
    assert why_not_answering(set(), 5000) is None


def test_dockers_embedded_dns_is_not_the_apps_listener():
    # Before the app binds, only the daemon's resolver (127.0.0.11, a random port) listens in an
    # app network's container: that is no reason to fail the deploy, the app may still be booting.
    assert why_not_answering({("127.0.0.11", 42967)}, 5000) is None
    assert why_not_answering({("127.0.0.11", 42967), ("0.0.0.0", 8080)}, 5000) == (
        "it listens on port 8080, not on $PORT (5000): bind 0.0.0.0:$PORT")
