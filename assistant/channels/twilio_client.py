"""Sending SMS and WhatsApp messages through Twilio's REST API (Messages resource).

Configuration is `Settings.twilio` (core/config.py), from the environment only
(secrets never live in files): TWILIO_API_BASE [https://api.twilio.com], TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN,
TWILIO_FROM_NUMBER (an E.164 number, or a Messaging Service SID "MG…"),
TWILIO_WHATSAPP_FROM [whatsapp:+ the FROM number], and PUBLIC_BASE_URL, the
gateway's public address, which Twilio signs its webhooks against.
"""

from __future__ import annotations

import requests

from assistant.channels.channel import ProviderError
from core.config import TwilioConfig

TIMEOUT = 10  # seconds per message


class TwilioClient:
    def __init__(self, config: TwilioConfig):
        self.config = config

    def _create_message(self, to: str, sender: str, body: str) -> str:
        form = {"To": to, "Body": body}
        # A Messaging Service picks the number itself (and applies Twilio's opt-out handling).
        form["MessagingServiceSid" if sender.startswith("MG") else "From"] = sender
        url = f"{self.config.api_base}/2010-04-01/Accounts/{self.config.account_sid}/Messages.json"
        try:
            response = requests.post(url, data=form, auth=(self.config.account_sid, self.config.auth_token), timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise ProviderError("Twilio", None, None, exc.__class__.__name__) from exc
        if response.status_code not in (200, 201):
            try:
                error = response.json()
            except ValueError:
                error = {}
            raise ProviderError("Twilio", response.status_code, error.get("code"), str(error.get("message", ""))[:200])
        return str(response.json().get("sid", ""))

    def send_sms(self, phone: str, text: str) -> None:
        self._create_message(phone, self.config.sms_from, text)

    def send_whatsapp(self, phone: str, text: str) -> None:
        self._create_message(f"whatsapp:{phone}", self.config.whatsapp_from, text)
