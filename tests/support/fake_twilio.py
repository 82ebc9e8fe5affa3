"""A local HTTP server that speaks Twilio's Messages API and records what it gets.

POST /2010-04-01/Accounts/{AccountSid}/Messages.json, form fields To, From (or
MessagingServiceSid) and Body, HTTP basic auth with the account SID and auth
token; answers 201 with the message resource, or Twilio's JSON error
({"code", "message", "more_info", "status"}) as Twilio does: 20003 for bad
credentials, 21602 without a Body, 21617 over 1,600 characters, 21610 to a
number that opted out at Twilio.
"""

from __future__ import annotations

import json
import secrets

from werkzeug.wrappers import Request, Response

from tests.support.local_server import LocalServer

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-0123456789abcdef"


def _error(status: int, code: int, message: str) -> Response:
    body = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}
    return Response(json.dumps(body), status=status, mimetype="application/json")


class FakeTwilio(LocalServer):
    name = "Twilio"

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.blocked: set[str] = set()  # numbers that sent STOP to Twilio itself
        super().__init__()  # messages: the form fields of every accepted message, in order

    def _create(self, request: Request) -> Response:
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (self.account_sid, self.auth_token):
            return _error(401, 20003, "Authenticate")
        form = request.form.to_dict()
        if not form.get("To") or not (form.get("From") or form.get("MessagingServiceSid")):
            return _error(400, 21604, "A 'To' and a 'From' phone number are required.")
        if not form.get("Body"):
            return _error(400, 21602, "Message body is required.")
        if len(form["Body"]) > 1600:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if form["To"].removeprefix("whatsapp:") in self.blocked:
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")
        sid = "SM" + secrets.token_hex(16)
        with self._lock:
            self.messages.append(form)
        resource = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": form["To"],
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form["Body"],
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        return Response(json.dumps(resource), status=201, mimetype="application/json")

    def _app(self, environ, start_response):
        request = Request(environ)
        if request.method == "POST" and request.path == f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            response = self._create(request)
        else:
            response = _error(404, 20404, "The requested resource was not found")
        return response(environ, start_response)

    def bodies(self, to: str | None = None) -> list[str]:
        with self._lock:
            return [m["Body"] for m in self.messages if to is None or m["To"] == to]
