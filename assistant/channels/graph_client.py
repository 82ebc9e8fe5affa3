"""Sending WhatsApp messages through Meta's Cloud API (Graph API /{phone-number-id}/messages).

Configuration is `Settings.whatsapp` (core/config.py), from the environment only: WHATSAPP_API_BASE
[https://graph.facebook.com/v19.0], WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID,
WHATSAPP_APP_SECRET (checks the webhook's X-Hub-Signature-256),
WHATSAPP_VERIFY_TOKEN (the webhook set-up handshake), and the approved
template for staff replies outside the 24-hour window: WHATSAPP_TEMPLATE_NAME,
WHATSAPP_TEMPLATE_LANGUAGE [en]. The template's body has one variable, {{1}},
which receives the staff member's text.
"""

from __future__ import annotations

import requests

from assistant.channels.channel import ProviderError
from assistant.channels.formatting import template_parameter
from core.config import WhatsAppConfig

TIMEOUT = 10  # seconds per message


class GraphClient:
    def __init__(self, config: WhatsAppConfig):
        self.config = config

    def _post(self, phone: str, message: dict) -> str:
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": phone.lstrip("+"), **message}
        url = f"{self.config.api_base}/{self.config.phone_number_id}/messages"
        try:
            response = requests.post(url, json=body, headers={"Authorization": f"Bearer {self.config.token}"}, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise ProviderError("WhatsApp", None, None, exc.__class__.__name__) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code != 200:
            error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
            raise ProviderError("WhatsApp", response.status_code, error.get("code"), str(error.get("message", ""))[:200])
        messages = answer.get("messages") or [{}]
        return str(messages[0].get("id", ""))

    def send_text(self, phone: str, text: str) -> None:
        self._post(phone, {"type": "text", "text": {"preview_url": False, "body": text}})

    def send_template(self, phone: str, text: str) -> None:
        self._post(
            phone,
            {
                "type": "template",
                "template": {
                    "name": self.config.template_name,
                    "language": {"code": self.config.template_language},
                    "components": [{"type": "body", "parameters": [{"type": "text", "text": template_parameter(text)}]}],
                },
            },
        )
