"""A local HTTP server standing in for the action server's early-retrieval route, recording the hints it gets.

POST /early-retrieval with {"sender", "text"} answers 202, as the real route does
(actions/early_retrieval.py); GET /health answers 200 for the gateway's health page; GET /artifacts answers
`artifacts` as the real route does (actions/artifacts.py), or 404 while it is None.
"""

from __future__ import annotations

import json
import threading

from werkzeug.wrappers import Request, Response

from tests.support.local_server import LocalServer


class FakeActionServer(LocalServer):
    name = "the action server"

    def __init__(self):
        self.answering = threading.Event()  # cleared: a hint is recorded, then not answered until it is set again
        self.answering.set()
        self.headers: list[dict] = []  # each request's headers, in order
        self.artifacts: dict | None = None
        super().__init__()

    def _app(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            self.headers.append(dict(request.headers))
        if request.method == "POST" and request.path == "/early-retrieval":
            with self._lock:
                self.messages.append(json.loads(request.get_data()))
            self.answering.wait(10)
            response = Response(json.dumps({"started": True}), status=202, mimetype="application/json")
        elif request.method == "GET" and request.path == "/health":
            response = Response(json.dumps({"status": "ok"}), mimetype="application/json")
        elif request.method == "GET" and request.path == "/artifacts" and self.artifacts is not None:
            response = Response(json.dumps(self.artifacts), mimetype="application/json")
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)
