"""What the page's poll tells a staff member about the conversations they hold: the patient wrote again."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import func, select

from core.storage.models import Conversation, Message, Ticket

MAX_REPLIES = 50


def latest_message_id(session) -> int:
    """Where the page starts watching for patients' replies."""
    return session.scalar(select(func.max(Message.id))) or 0


def patient_replies(session, staff_id: int, after: int) -> list[dict]:
    """The patients' messages after message id `after` in conversations `staff_id` has taken over, oldest first,
    each with the conversation's newest ticket. Only references and ids: the page's notification shows no patient
    text (it can appear on a locked screen)."""
    rows = session.execute(
        select(Message.id, Message.conversation_id)
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(Message.id > after, Message.role == "patient", Conversation.taken_over_by_id == staff_id)
        .order_by(Message.id)
        .limit(MAX_REPLIES)
    ).all()
    if not rows:
        return []
    conversations = {conversation_id for _, conversation_id in rows}
    newest = dict(
        session.execute(
            select(Ticket.conversation_id, func.max(Ticket.id))
            .where(Ticket.conversation_id.in_(conversations))
            .group_by(Ticket.conversation_id)
        ).all()
    )
    references = dict(session.execute(select(Ticket.id, Ticket.reference).where(Ticket.id.in_(newest.values()))).all())
    return [
        {
            "message_id": message_id,
            "ticket_id": newest[conversation_id],
            "reference": references[newest[conversation_id]],
            "url": url_for("inbox.ticket", ticket_id=newest[conversation_id]),
        }
        for message_id, conversation_id in rows
        if conversation_id in newest
    ]
