"""Patients' thumbs up/down on answers."""

from __future__ import annotations

from core.storage.conversations import find_conversation
from core.storage.database import Database
from core.storage.models import Feedback, Message


def record_feedback(db: Database, channel: str, sender_key: str, message_id: int, rating: int) -> bool:
    """Store the rating if the message is an assistant message of this sender's conversation."""
    with db.session() as session:
        conversation = find_conversation(session, channel, sender_key)
        message = session.get(Message, message_id)
        if conversation is None or message is None or message.conversation_id != conversation.id or message.role != "assistant":
            return False
        session.add(Feedback(message_id=message_id, rating=1 if rating > 0 else -1))
        return True
