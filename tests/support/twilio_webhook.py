"""Twilio's webhook as Twilio calls it: signed form posts from a patient's number to ours, and what Rasa answers."""

from __future__ import annotations

import secrets

from twilio.request_validator import RequestValidator

from tests.support.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

PUBLIC_BASE_URL = "https://ir.example.org"
WEBHOOK_URL = f"{PUBLIC_BASE_URL}/channels/twilio"
PATIENT = "+447700900123"
OUR_NUMBER = "+441632960001"
OUR_WHATSAPP = "whatsapp:+14155238886"

ANSWER = [
    {
        "custom": {
            "text": "**Embolization** blocks a blood vessel on purpose. It is done by an interventional radiologist.",
            "route": "answer",
            "procedure": "embolization",
            "topic": "definition",
            "score": 0.8,
            "sources": [{"doc": "embolization", "section": "definition", "title": "Embolization", "reviewed": "2026-11-23"}],
            "buttons": [
                {"title": "How do I prepare?", "payload": "/ask_preparation"},
                {"title": "Talk to a person", "payload": "/request_human"},
            ],
        }
    }
]


def twilio_params(body: str | None = "hello", sender: str | None = PATIENT, **extra) -> dict:
    params = {
        "MessageSid": "SM" + secrets.token_hex(16),
        "AccountSid": ACCOUNT_SID,
        "To": OUR_NUMBER,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
        "From": sender,
        "Body": body,
        **extra,
    }
    if sender and sender.startswith("whatsapp:"):
        params["To"] = OUR_WHATSAPP
    return {k: v for k, v in params.items() if v is not None}


def post(client, params: dict, *, signed_url: str = WEBHOOK_URL, token: str = AUTH_TOKEN, signature: str | None = None):
    if signature is None:
        signature = RequestValidator(token).compute_signature(signed_url, params)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    return client.post("/channels/twilio", data=params, headers=headers)


def point_gateway_at(
    monkeypatch,
    fake_twilio: FakeTwilio,
    *,
    database_url: str,
    rasa_url: str,
    var_dir,
) -> None:
    """The environment of a gateway with our numbers and address that sends its SMS and WhatsApp replies through
    `fake_twilio`."""
    for name, value in {
        "ASSISTANT_DATABASE_URL": database_url,
        "RASA_URL": rasa_url,
        "ASSISTANT_RASA_TIMEOUT": "2",
        "ASSISTANT_VAR_DIR": str(var_dir),
        "TWILIO_API_BASE": fake_twilio.url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": OUR_NUMBER,
        "TWILIO_WHATSAPP_FROM": OUR_WHATSAPP,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
    }.items():
        monkeypatch.setenv(name, value)
