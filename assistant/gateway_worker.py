"""The gateway's gunicorn worker: waitress serves HTTP, so a slow client never holds a thread.

gunicorn's threaded worker hands a connection to a thread as soon as it sends
a byte, and the thread then blocks reading the rest: eight clients that sent
half a request and went silent held all eight threads, and /healthz and
emergency replies waited behind them. Here waitress reads every connection in
one event loop and hands a request to a thread only once its headers and body
have arrived whole. A silent connection costs a socket and its buffer, not a
thread, and is closed after `keepalive` seconds without a byte, whether it is
mid-headers, mid-body or idle between requests.

gunicorn still runs the processes (workers, restarting one that dies, the
rate-limit check in assistant/gateway_gunicorn.py, graceful stops); this module
only replaces how a worker reads and answers connections. Like the settings
module it must not import the app: gunicorn's master loads the worker class.
"""

from __future__ import annotations

import os
import time

from gunicorn.workers.base import Worker
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server

# A request's headers are refused above this (a browser's with the inbox's cookies are a few KiB).
MAX_HEADER_BYTES = 32 * 1024
# Above the largest body a route accepts (a WhatsApp batch: 1 MiB), so the app's own 413 answers below it.
MAX_BODY_BYTES = 2 * 1024 * 1024
# A body larger than this waits on disk rather than in memory until it is whole.
BODY_IN_MEMORY_BYTES = 64 * 1024


class WaitressWorker(Worker):
    def run(self) -> None:
        connections: dict = {}
        server = create_server(
            self.wsgi,
            map=connections,
            sockets=[listener.sock for listener in self.sockets],
            threads=self.cfg.threads,
            connection_limit=self.cfg.worker_connections,
            backlog=self.cfg.backlog,
            channel_timeout=self.cfg.keepalive,
            cleanup_interval=1,
            max_request_header_size=MAX_HEADER_BYTES,
            max_request_body_size=MAX_BODY_BYTES,
            inbuf_overflow=BODY_IN_MEMORY_BYTES,
            # poll, not select: select fails on descriptors above 1024.
            asyncore_use_poll=True,
            ident="",  # no Server header naming the software
        )
        while self.alive and self.ppid == os.getppid():
            # One pass of waitress's loop at a time, so the master hears from this worker at least every second.
            wasyncore.loop(timeout=1.0, map=connections, use_poll=True, count=1)
            self.notify()
        self._finish(server, connections)

    def _finish(self, server, connections: dict) -> None:
        """Stop accepting, answer the requests already received (within gunicorn's graceful timeout), stop."""
        for listener in list(connections.values()):
            if isinstance(listener, BaseWSGIServer):
                listener.accepting = False
        deadline = time.monotonic() + max(self.cfg.graceful_timeout - 1, 0)
        while _answering(connections) and time.monotonic() < deadline:
            wasyncore.loop(timeout=0.2, map=connections, use_poll=True, count=1)
            self.notify()
        server.task_dispatcher.shutdown(timeout=1)


def _answering(connections: dict) -> bool:
    """Whether a received request is still being served or its answer is still being sent."""
    return any(
        isinstance(channel, HTTPChannel) and (channel.requests or channel.total_outbufs_len) for channel in list(connections.values())
    )
