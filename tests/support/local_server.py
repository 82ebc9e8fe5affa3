"""A local HTTP server in a thread, the base of the fake providers the tests talk to."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import BaseWSGIServer, make_server

from tests.support.ports import free_port

# How often an idle server's loop looks whether it should stop; `stop` wakes it at once instead.
POLL_SECONDS = 0.5


def stop(server: BaseWSGIServer) -> None:
    """server.shutdown() and its port closed, without waiting for the serving loop's next poll: connections to the
    port wake the loop until it has seen the request to stop (each is closed without a request on it)."""
    stopper = threading.Thread(target=server.shutdown, daemon=True)
    stopper.start()
    while stopper.is_alive():
        with contextlib.suppress(OSError):
            socket.create_connection(server.server_address[:2], timeout=1).close()
        stopper.join(0.005)
    server.server_close()


class LocalServer:
    """Serves `self._app` (a WSGI callable) on 127.0.0.1 while used as a context manager."""

    name = "the server"

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.messages: list[dict] = []  # what the server accepted, in order
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", self.port, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True)

    def _app(self, environ, start_response):
        raise NotImplementedError

    def wait_for(self, count: int, timeout: float = 10) -> list[dict]:
        """The messages once at least `count` arrived; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"{self.name} got {len(self.messages)} message(s), expected {count}: {self.messages}")

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        stop(self._server)


@contextmanager
def serving(app, port: int | None = None) -> Iterator[str]:
    """`app` (a WSGI callable: the gateway, a host page) served on 127.0.0.1 in a thread; yields its base URL."""
    port = port or free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(server)
        thread.join(timeout=5)
