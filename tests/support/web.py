"""Web patients as the widget is one: a conversation token from the gateway, sent in X-Conversation-Token.

`WebPatients.new()` asks the gateway for a conversation (POST /api/conversations), exactly as the widget does.
`headers("p1")` is the gateway's signed token for the conversation id "p1" (signed with the app's own key), so a
test can name its patients and find their rows by that name.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from assistant.gateway.identity import EXTENSION, TOKEN_HEADER, key_digest

# The test apps' integration ("tests") and its key, configured as ASSISTANT_API_KEYS by the `app` fixture.
INTEGRATION = "tests"
API_KEY = "tests-integration-key-0123456789abcdefghij"
API_KEYS_SETTING = f"{INTEGRATION}:{key_digest(API_KEY)}"  # ASSISTANT_API_KEYS


def token_for(app: Flask, conversation: str) -> str:
    return app.extensions[EXTENSION].sign(conversation)


def web_headers(app: Flask, conversation: str) -> dict[str, str]:
    return {TOKEN_HEADER: token_for(app, conversation)}


def integration_headers(key: str = API_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class WebPatients:
    def __init__(self, client: FlaskClient):
        self.client = client

    def new(self) -> tuple[str, str]:
        """(token, conversation id) of a new conversation, from the gateway."""
        response = self.client.post("/api/conversations")
        assert response.status_code == 201, response.json
        token = response.json["token"]
        return token, token.rsplit(".", 1)[0]

    def headers(self, conversation: str) -> dict[str, str]:
        return web_headers(self.client.application, conversation)

    def chat(self, conversation: str, message: str, **fields):
        return self.client.post("/api/chat", json={"message": message, **fields}, headers=self.headers(conversation))

    def history(self, conversation: str, after: int | None = None):
        query = "" if after is None else f"?after={after}"
        return self.client.get(f"/api/chat/history{query}", headers=self.headers(conversation))

    def delete(self, conversation: str):
        return self.client.delete("/api/chat/history", headers=self.headers(conversation))

    def feedback(self, conversation: str, message_id, rating: str):
        return self.client.post("/api/feedback", json={"message_id": message_id, "rating": rating}, headers=self.headers(conversation))


# What Rasa answers to "what is embolization?": a domain response with buttons, then its custom fields.
RASA_ANSWER = [
    {
        "recipient_id": "web:p1",
        "text": "Embolization blocks a blood vessel on purpose. Call {department_phone}.",
        "buttons": [{"title": "How do I prepare?", "payload": "/ask_preparation"}],
    },
    {
        "recipient_id": "web:p1",
        "custom": {
            "route": "answer",
            "procedure": "embolization",
            "topic": "definition",
            "sources": [{"doc": "embolization", "section": "definition", "title": "Embolization", "reviewed": "2026-11-23"}],
            "score": 0.61,
        },
    },
]


def post_chat(client, body=None, *, data=None, content_type="application/json", conversation="a"):
    """A web patient's message: `sender` in `body` names the conversation whose token is sent (not the body's)."""
    if body is not None:
        body = dict(body)
        conversation = body.pop("sender", conversation)
    headers = web_headers(client.application, conversation)
    if body is not None:
        return client.post("/api/chat", json=body, headers=headers)
    return client.post("/api/chat", data=data, content_type=content_type, headers=headers)
