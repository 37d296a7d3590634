"""A streaming response asks whether its client has gone (closed the connection)."""
import socket

from paas.server.limits import client_gone


def test_a_closed_connection_is_gone_an_open_or_talking_one_is_not():
    ours, theirs = socket.socketpair()
    with ours:
        environ = {"gunicorn.socket": ours}
        assert client_gone(environ) is False
        theirs.sendall(b"GET / HTTP/1.1\r\n")  # a pipelined request: still there
        assert client_gone(environ) is False
        ours.recv(100)
        theirs.close()
        assert client_gone(environ) is True


def test_without_the_servers_socket_nothing_is_known():
    assert client_gone({}) is False


def test_a_socket_already_closed_here_is_gone():
    ours, theirs = socket.socketpair()
    theirs.close()
    ours.close()
    assert client_gone({"gunicorn.socket": ours}) is True
