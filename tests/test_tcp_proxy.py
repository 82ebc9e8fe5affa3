"""The test proxy that makes PostgreSQL or Redis unreachable for a while (tests/support/tcp_proxy.py)."""

from __future__ import annotations

import socket
import threading

import pytest

from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
def echo_server():
    listener = socket.create_server(("127.0.0.1", 0))

    def serve(connection: socket.socket) -> None:
        with connection:
            while data := connection.recv(1024):
                connection.sendall(data)

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


def round_trip(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    return sock.recv(1024)


def test_bytes_pass_both_ways_then_a_cut_breaks_open_connections_and_refuses_new_ones_until_it_ends(echo_server):
    with TcpProxy("127.0.0.1", echo_server) as proxy:
        before = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        assert round_trip(before, b"ping") == b"ping"
        with proxy.cut():
            with pytest.raises(OSError):  # reset: recv fails or reads nothing
                if round_trip(before, b"lost") == b"":
                    raise ConnectionResetError
            # The reset may come while connecting, sending or reading.
            with pytest.raises(OSError), socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as during:
                if round_trip(during, b"refused") == b"":
                    raise ConnectionResetError
            assert proxy.refused == 1
        after = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        assert round_trip(after, b"back") == b"back"
        for sock in (before, after):
            sock.close()
