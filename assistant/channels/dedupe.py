"""Providers retry a webhook they think failed; each message id is handled once."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from assistant.storage.database import Database
from assistant.storage.models import InboundMessage

MAX_ID_CHARS = 128  # the column's size


def first_time(db: Database, provider: str, message_id: str) -> bool:
    """Record the id; False when it was already recorded (the unique constraint decides, so two workers agree)."""
    try:
        with db.session() as session:
            session.add(InboundMessage(provider=provider, message_id=message_id))
        return True
    except IntegrityError:
        return False
