"""A local HTTP server in a thread, the base of the fake providers the tests talk to."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

from tests.support.ports import free_port


class LocalServer:
    """Serves `self._app` (a WSGI callable) on 127.0.0.1 while used as a context manager."""

    name = "the server"

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.messages: list[dict] = []  # what the server accepted, in order
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", self.port, self._app, threaded=True)
        # A short poll interval: shutting the server down at the end of a test waits one interval.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

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
        self._server.shutdown()


@contextmanager
def serving(app, port: int | None = None) -> Iterator[str]:
    """`app` (a WSGI callable: the gateway, a host page) served on 127.0.0.1 in a thread; yields its base URL."""
    port = port or free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
