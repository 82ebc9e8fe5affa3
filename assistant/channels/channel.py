"""What a messaging channel is to the rest of the assistant: how to format and send, and how sending fails."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assistant.channels.formatting import Labels
from assistant.replies import Reply

# Provider error codes that mean something to us (not just "failed").
OPTED_OUT_CODES = {21610}  # Twilio: the number sent STOP to Twilio; Twilio blocks every message to it
OUTSIDE_WINDOW_CODES = {63016, 131047}  # Twilio WhatsApp / Graph API: more than 24 h since the patient wrote


class ProviderError(RuntimeError):
    """The provider did not accept a message (or could not be reached)."""

    def __init__(self, provider: str, status: int | None, code: int | None, message: str):
        super().__init__(f"{provider} refused the message: HTTP {status}, error {code}: {message}")
        self.provider = provider
        self.status = status
        self.code = code

    @property
    def reason(self) -> str:
        if self.status is None:
            return "not reachable"
        return f"error {self.code}" if self.code is not None else f"HTTP {self.status}"

    @property
    def opted_out(self) -> bool:
        return self.code in OPTED_OUT_CODES

    @property
    def outside_window(self) -> bool:
        return self.code in OUTSIDE_WINDOW_CODES


@dataclass(frozen=True)
class Channel:
    name: str  # the conversation's channel: "sms", "whatsapp_twilio" or "whatsapp"
    label: str  # how staff read it: "SMS", "WhatsApp"
    configured: bool
    format_replies: Callable[[list[Reply], Labels], list[str]]
    format_text: Callable[[str], list[str]]
    send: Callable[[str, str], None]  # (E.164 number, text); raises ProviderError
    # WhatsApp: free-form messages only within 24 hours of the patient's last message.
    service_window: bool = False
    # Outside that window: send the text inside an approved template, if one is configured.
    send_template: Callable[[str, str], None] | None = None
