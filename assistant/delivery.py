"""Sending a staff member's (or the system's) message to a patient on their own channel.

The message is always stored in the conversation first. The web widget picks
stored messages up by polling the history; SMS and WhatsApp conversations
have a sender, which calls the provider's API and respects opt-outs and
messaging windows: their channel module adds it to the app's senders
(`app.extensions["senders"]`), which the inbox passes to `deliver`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from core.storage import conversations
from core.storage.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    detail: str  # shown to staff: "shown in the web chat", "sent by SMS", "not sent: the number opted out", ...


# function(db, sender_key, text) -> Delivery, one per channel that sends (the web widget polls instead)
Sender = Callable[[Database, str, str], Delivery]
Senders = Mapping[str, Sender]
WEB_ONLY: Senders = {}


def deliver(
    db: Database,
    channel: str,
    sender_key: str,
    text: str,
    *,
    senders: Senders = WEB_ONLY,
    role: str = "staff",
    data: dict | None = None,
) -> Delivery:
    """Store `text` in the patient's conversation, then send it on their channel (by its sender in `senders`)."""
    send = senders.get(channel)
    if channel == "web":
        outcome = Delivery(True, "shown in the web chat")
    elif send is None:
        outcome = Delivery(False, f"not sent: no sender for the {channel} channel")
    else:
        try:
            outcome = send(db, sender_key, text)
        except Exception as exc:  # the staff member sees it failed; the text is kept
            log.exception("sending on %s failed", channel)
            outcome = Delivery(False, f"not sent: {exc.__class__.__name__}")
    conversations.add_messages(
        db, channel, sender_key, [(role, text, {**(data or {}), "delivery": outcome.detail, "delivered": outcome.delivered})]
    )
    return outcome
