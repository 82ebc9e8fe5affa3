"""A local HTTP server that speaks the WhatsApp Cloud API (Graph API) and records what it gets.

POST /{version}/{phone_number_id}/messages with "Authorization: Bearer <token>"
and a JSON body (messaging_product "whatsapp", to, type text|template);
answers like the Graph API: {"messaging_product", "contacts", "messages": [{"id": "wamid…"}]},
or {"error": {"message", "type", "code", "fbtrace_id"}}: 190 for a bad token, 100 for
an invalid parameter (a text over 4,096 characters), 131047 for a free-form message
to a number whose 24-hour window is closed.
"""

from __future__ import annotations

import json
import secrets

from werkzeug.wrappers import Request, Response

from tests.support.local_server import LocalServer

TOKEN = "test-graph-token"
PHONE_NUMBER_ID = "106540352242922"
VERSION = "v19.0"


def _error(status: int, code: int, message: str, kind: str = "OAuthException") -> Response:
    body = {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": secrets.token_hex(8)}}
    return Response(json.dumps(body), status=status, mimetype="application/json")


class FakeGraph(LocalServer):
    name = "the Graph API"

    def __init__(self, token: str = TOKEN, phone_number_id: str = PHONE_NUMBER_ID):
        self.token = token
        self.phone_number_id = phone_number_id
        self.window_closed: set[str] = set()  # wa ids that get 131047 for free-form messages
        super().__init__()  # messages: the JSON body of every accepted message, in order
        self.base = self.url
        self.url = f"{self.base}/{VERSION}"

    def _send(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp" or not body.get("to"):
            return _error(400, 100, "Invalid parameter", "GraphMethodException")
        if body.get("type") == "text":
            text = (body.get("text") or {}).get("body") or ""
            if not text or len(text) > 4096:
                return _error(400, 100, "Param text['body'] must be 1 to 4096 characters", "GraphMethodException")
            if body["to"] in self.window_closed:
                return _error(400, 131047, "Re-engagement message")
        elif body.get("type") == "template":
            template = body.get("template") or {}
            if not template.get("name") or not (template.get("language") or {}).get("code"):
                return _error(400, 100, "Param template['name'] and ['language'] are required", "GraphMethodException")
        else:
            return _error(400, 100, "Invalid parameter: type", "GraphMethodException")
        with self._lock:
            self.messages.append(body)
        answer = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"]}],
            "messages": [{"id": "wamid." + secrets.token_hex(16)}],
        }
        return Response(json.dumps(answer), status=200, mimetype="application/json")

    def _app(self, environ, start_response):
        request = Request(environ)
        if request.method == "POST" and request.path == f"/{VERSION}/{self.phone_number_id}/messages":
            response = self._send(request)
        else:
            response = _error(400, 100, "Unsupported post request", "GraphMethodException")
        return response(environ, start_response)

    def texts(self, to: str | None = None) -> list[str]:
        with self._lock:
            return [m["text"]["body"] for m in self.messages if m["type"] == "text" and (to is None or m["to"] == to)]
