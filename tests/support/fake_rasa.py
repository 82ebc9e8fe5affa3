"""A local HTTP server that speaks the Rasa REST channel's format and records what it gets.

Used to test the gateway alone: what it forwards, and how it copes when Rasa
answers nothing, answers an error, or is slow.
"""

from __future__ import annotations

import json
import threading
import time

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.support.local_server import POLL_SECONDS, stop
from tests.support.ports import free_port


class FakeRasa:
    def __init__(self):
        self.received: list[dict] = []
        self.headers: list[dict] = []  # each request's headers, in order
        self.reply: list[dict] = []
        self.status = 200
        self.delay = 0.0
        self.model: dict | None = None  # what GET /assistant/model answers (rasa_addons/model_report.py); None: 404
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = make_server("127.0.0.1", self.port, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True)

    def _app(self, environ, start_response):
        request = Request(environ)
        self.headers.append(dict(request.headers))
        if request.method == "GET" and request.path == "/webhooks/rest/":
            response = Response(json.dumps({"status": "ok"}), mimetype="application/json")
        elif request.method == "GET" and request.path == "/assistant/model" and self.model is not None:
            response = Response(json.dumps(self.model), mimetype="application/json")
        elif request.method == "POST" and request.path == "/webhooks/rest/webhook":
            self.received.append(request.get_json())
            time.sleep(self.delay)
            response = Response(json.dumps(self.reply), status=self.status, mimetype="application/json")
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    def __enter__(self) -> FakeRasa:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        stop(self._server)
