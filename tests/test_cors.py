"""Which websites may call the chat API from a browser (ASSISTANT_CORS_ORIGINS), and only the API."""

from __future__ import annotations

import pytest

from assistant.gateway import create_app
from core.config import Settings
from tests.support.web import web_headers

HOSPITAL = "https://www.example-hospital.org"
INTRANET = "https://intranet.example-hospital.org:8443"
STRANGER = "https://evil.example.com"


@pytest.fixture
def gateway(app, monkeypatch):
    """Build a gateway from the test environment (the `app` fixture sets it up) plus ASSISTANT_CORS_ORIGINS."""

    def build(origins: str | None):
        if origins is None:
            monkeypatch.delenv("ASSISTANT_CORS_ORIGINS", raising=False)
        else:
            monkeypatch.setenv("ASSISTANT_CORS_ORIGINS", origins)
        return create_app(Settings.from_env(), {"TESTING": True}).test_client()

    return build


@pytest.fixture
def client(gateway):
    # Spaces, a trailing slash and capitals as people write them in an environment file.
    return gateway(f" {HOSPITAL}/ , {INTRANET.upper()}")


def preflight(client, path="/api/chat", origin=HOSPITAL, method="POST", headers="content-type, x-conversation-token"):
    return client.options(
        path, headers={"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}
    )


@pytest.mark.parametrize("origin", [HOSPITAL, INTRANET])
def test_a_configured_origin_may_read_the_api(client, origin, fake_rasa):
    fake_rasa.reply = [{"recipient_id": "web:p1", "text": "Hello."}]
    response = client.post("/api/chat", json={"message": "hi"}, headers={**web_headers(client.application, "p1"), "Origin": origin})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
def test_a_configured_origin_passes_the_preflight_for_the_methods_the_widget_uses(client, method):
    response = preflight(client, "/api/chat/history" if method != "POST" else "/api/chat", method=method)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == HOSPITAL
    assert method in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type, X-Conversation-Token"
    assert int(response.headers["Access-Control-Max-Age"]) > 0


def test_another_origin_gets_no_cors_headers_and_its_preflight_is_refused(client, fake_rasa):
    fake_rasa.reply = [{"recipient_id": "web:p1", "text": "Hello."}]
    response = client.post("/api/chat", json={"message": "hi"}, headers={**web_headers(client.application, "p1"), "Origin": STRANGER})
    assert "Access-Control-Allow-Origin" not in response.headers  # the browser will not let the page read it

    refused = preflight(client, origin=STRANGER)
    assert refused.status_code == 403
    assert "ASSISTANT_CORS_ORIGINS" in refused.json["error"]
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert fake_rasa.received == [{"sender": "web:p1", "message": "hi", "metadata": {"channel": "web", "language": "en"}}]


@pytest.mark.parametrize(
    "origin", ["https://example-hospital.org", "http://www.example-hospital.org", "https://www.example-hospital.org.evil.com", "null"]
)
def test_origins_must_match_exactly(client, origin):
    assert preflight(client, origin=origin).status_code == 403


@pytest.mark.parametrize(("method", "headers"), [("PUT", "content-type"), ("POST", "content-type, authorization"), ("POST", "x-custom")])
def test_the_preflight_allows_only_what_the_widget_needs(client, method, headers):
    response = preflight(client, method=method, headers=headers)
    assert response.status_code == 403  # a preflight that is not 2xx fails in the browser
    assert "Access-Control-Allow-Methods" not in response.headers
    assert "Content-Type" in response.json["error"]


def test_a_browser_may_not_send_an_api_key_across_origins(client):
    # API keys belong to server-side integrations; a page's script can only hold a conversation token.
    assert preflight(client, headers="authorization").status_code == 403


def test_without_configuration_no_other_origin_may_call_the_api(gateway, fake_rasa):
    client = gateway(None)
    fake_rasa.reply = [{"recipient_id": "web:p1", "text": "Hello."}]
    response = client.post("/api/chat", json={"message": "hi"}, headers={**web_headers(client.application, "p1"), "Origin": HOSPITAL})
    assert response.status_code == 200  # a same-origin page or a server-side client is unaffected
    assert "Access-Control-Allow-Origin" not in response.headers
    assert preflight(client).status_code == 403


@pytest.mark.parametrize("path", ["/", "/widget/widget.js", "/healthz"])
def test_pages_outside_the_api_never_get_cors_headers(client, path):
    response = client.get(path, headers={"Origin": HOSPITAL})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_an_api_error_is_readable_by_an_allowed_origin(client):
    response = client.post(
        "/api/chat", data="not json", content_type="application/json", headers={**web_headers(client.application, "p1"), "Origin": HOSPITAL}
    )
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == HOSPITAL  # so the widget can show what went wrong
