"""Questions the assistant could not answer, kept for the curators."""

from __future__ import annotations

from sqlalchemy import select

from core.storage.database import Database
from core.storage.models import UnansweredQuestion


def log_unanswered(db: Database, sender_key: str, text: str, reason: str, procedure: str | None = None) -> None:
    with db.session() as session:
        session.add(UnansweredQuestion(sender_key=sender_key, text=text[:2000], reason=reason, procedure=procedure))


def recent_unanswered(db: Database, limit: int = 100) -> list[UnansweredQuestion]:
    with db.session() as session:
        query = select(UnansweredQuestion).order_by(UnansweredQuestion.id.desc()).limit(limit)
        return list(session.scalars(query))
