"""Providers retry a webhook they think failed; each message id is handled once."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from assistant.storage.database import Database
from assistant.storage.models import InboundMessage

log = logging.getLogger(__name__)
MAX_ID_CHARS = 128  # the column's size


def first_time(db: Database, provider: str, message_id: str) -> bool:
    """Record the id; False when it was already recorded (the unique constraint decides, so two workers agree)."""
    try:
        with db.session() as session:
            session.add(InboundMessage(provider=provider, message_id=message_id))
        return True
    except IntegrityError:
        return False
    except SQLAlchemyError as exc:
        # The database is down: a retry may be answered twice, but the message is not left unanswered.
        log.error("%s message id not recorded (%s); answering it", provider, exc.__class__.__name__)
        return True
