"""Staff replies (assistant.delivery.deliver) on SMS and WhatsApp.

- Never to a number that opted out.
- WhatsApp allows free-form messages only within 24 hours of the patient's
  last message. Outside it, Meta's Cloud API takes an approved template
  (configured), and the inbox is told; Twilio's WhatsApp is refused with a
  clear reason (its templates are not set up here).
"""

from __future__ import annotations

import datetime as dt

from assistant.channels import optout
from assistant.channels.channel import Channel, ProviderError
from assistant.channels.formatting import TEMPLATE_PARAMETER_MAX_CHARS, plain
from assistant.delivery import Delivery, Sender
from core.storage.conversations import history
from core.storage.database import Database

SERVICE_WINDOW = dt.timedelta(hours=24)
OPTED_OUT = Delivery(False, "not sent: the patient opted out")
SENT_AS_TEMPLATE = "sent as the approved template (outside WhatsApp's 24-hour window)"
NO_TEMPLATE = (
    "not sent: more than 24 hours since the patient's last WhatsApp message, and no approved template "
    "is set up for this channel; please call the patient"
)


def last_patient_message_at(db: Database, channel: str, phone: str) -> dt.datetime | None:
    times = [m["at"] for m in history(db, channel, phone) if m["role"] == "patient"]
    if not times:
        return None
    at = dt.datetime.fromisoformat(times[-1])
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)  # SQLite keeps UTC without the zone


def within_window(db: Database, channel: str, phone: str, now: dt.datetime | None = None) -> bool:
    last = last_patient_message_at(db, channel, phone)
    return last is not None and (now or dt.datetime.now(dt.UTC)) - last < SERVICE_WINDOW


def _as_template(channel: Channel, phone: str, text: str) -> Delivery:
    if channel.send_template is None:
        return Delivery(False, NO_TEMPLATE)
    try:
        channel.send_template(phone, text)
    except ProviderError as exc:
        return Delivery(False, f"not sent: {exc.provider} refused the template ({exc.reason})")
    shortened = len(" ".join(plain(text).split())) > TEMPLATE_PARAMETER_MAX_CHARS
    return Delivery(True, SENT_AS_TEMPLATE + (" — shortened to fit the template" if shortened else ""))


def _as_text(db: Database, channel: Channel, phone: str, text: str) -> Delivery:
    parts = channel.format_text(text)
    for sent, part in enumerate(parts):
        try:
            channel.send(phone, part)
        except ProviderError as exc:
            if exc.opted_out:
                optout.set_opted_out(db, channel.name, phone, True)
                return OPTED_OUT
            if exc.outside_window and sent == 0:  # the provider's clock disagrees with ours: it decides
                return _as_template(channel, phone, text)
            partly = f"; {sent} of {len(parts)} parts were sent" if sent else ""
            return Delivery(False, f"not sent: {exc.provider} refused it ({exc.reason}){partly}")
    return Delivery(True, f"sent by {channel.label}" + (f" in {len(parts)} messages" if len(parts) > 1 else ""))


def sender(channel: Channel) -> Sender:
    def send(db: Database, phone: str, text: str) -> Delivery:
        if not channel.configured:
            return Delivery(False, f"not sent: the {channel.label} channel is not configured")
        if optout.is_opted_out(db, channel.name, phone):
            return OPTED_OUT
        if channel.service_window and not within_window(db, channel.name, phone):
            return _as_template(channel, phone, text)
        return _as_text(db, channel, phone, text)

    return send
