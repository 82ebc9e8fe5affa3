"""Providers retry a webhook they think failed; each message id is handled once."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from core.storage.database import Database
from core.storage.models import InboundMessage

log = logging.getLogger(__name__)
MAX_ID_CHARS = 128  # the column's size
CHUNK = 500  # ids per IN (...) query, far below any database's limit on parameters


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


def first_times(db: Database, provider: str, message_ids: list[str]) -> set[str]:
    """first_time for a whole batch in one transaction: the ids not recorded before (each once), now recorded."""
    unique = list(dict.fromkeys(message_ids))
    if not unique:
        return set()
    try:
        with db.session() as session:
            seen: set[str] = set()
            for start in range(0, len(unique), CHUNK):
                chunk = unique[start : start + CHUNK]
                query = select(InboundMessage.message_id).where(InboundMessage.provider == provider, InboundMessage.message_id.in_(chunk))
                seen.update(session.scalars(query))
            new = [message_id for message_id in unique if message_id not in seen]
            session.add_all(InboundMessage(provider=provider, message_id=message_id) for message_id in new)
        return set(new)
    except IntegrityError:  # another worker recorded some of them meanwhile: one at a time, the constraint decides
        return {message_id for message_id in unique if first_time(db, provider, message_id)}
    except SQLAlchemyError as exc:
        log.error("%s message ids not recorded (%s); answering them", provider, exc.__class__.__name__)
        return set(unique)
