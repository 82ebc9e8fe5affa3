"""The web chat API used by the widget (documented in the README).

POST   /api/chat                     send a message, get the replies
GET    /api/chat/history?sender=..   the conversation so far (after=<id> for new messages only)
DELETE /api/chat/history?sender=..   the patient ends and deletes the conversation
POST   /api/feedback                 thumbs up/down on an answer
"""

from __future__ import annotations

import json

from flask import Blueprint, Flask, current_app, jsonify, request
from flask_limiter.util import get_remote_address

from assistant import rate_limits
from assistant.gateway.validation import BadRequest, id_field, json_object, message_text, page_language, sender_id, whole_number
from assistant.inbox.retention import TrackerStore, forget
from assistant.storage import conversations
from assistant.storage.feedback import record_feedback

bp = Blueprint("chat_api", __name__, url_prefix="/api")
CHANNEL = "web"


def _db():
    return current_app.extensions["db"]


def _sender_of_request() -> str:
    """Rate-limit key: the sender named in the body (falls back to the address for unreadable bodies)."""
    try:
        sender = json.loads(request.get_data()).get("sender")
    except (ValueError, AttributeError, RecursionError):
        sender = None
    return f"sender:{sender}" if isinstance(sender, str) else f"ip:{get_remote_address()}"


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    # A patient types a few messages a minute; a flood from one sender or one
    # address is refused before it reaches the dialogue (limits in the app config).
    rate_limits.limit(app, "chat_api.chat", lambda: current_app.config["RATE_LIMIT_PER_SENDER"], key_func=_sender_of_request)
    rate_limits.limit(app, "chat_api.chat", lambda: current_app.config["RATE_LIMIT_PER_ADDRESS"])
    rate_limits.limit(app, "chat_api.chat_history", lambda: current_app.config["RATE_LIMIT_POLLING"])
    rate_limits.limit(app, "chat_api.delete_history", DELETES_PER_ADDRESS)


@bp.post("/chat")
def chat():
    body = json_object(request.get_data(), request.content_type)
    sender = sender_id(body)
    text = message_text(body, current_app.config["MAX_MESSAGE_CHARS"])
    replies = current_app.extensions["turns"].handle(CHANNEL, sender, text, page_language(body))
    return jsonify({"sender": sender, "messages": [r.to_dict() for r in replies]})


def _query_sender() -> str:
    return sender_id({"sender": request.args.get("sender")})


@bp.get("/chat/history")
def chat_history():
    sender = _query_sender()
    after = whole_number(request.args.get("after"), "after")
    stored = [m for m in conversations.history(_db(), CHANNEL, sender) if m["id"] > after]
    holder = conversations.held_by(_db(), CHANNEL, sender)
    staff = _staff_shown({m["data"].get("staff_id") for m in stored if m["role"] == "staff"} | {holder})
    messages = [
        {
            "id": m["id"],
            "role": m["role"],
            "text": m["text"],
            "at": m["at"],
            **{k: m["data"].get(k) for k in PASSED_ON if k in m["data"]},
            **({"staff": staff[m["data"]["staff_id"]]} if m["role"] == "staff" and m["data"].get("staff_id") in staff else {}),
        }
        for m in stored
    ]
    return jsonify(
        {
            "sender": sender,
            "messages": messages,
            "taken_over": holder is not None,
            # Who is answering while staff hold the conversation, as the department chose (site.yml staff_shown_as).
            "held_by": staff.get(holder, {"role": "staff"}) if holder is not None else None,
        }
    )


# What a stored message's data tells the widget (never staff ids or full names).
PASSED_ON = ("route", "procedure", "topic", "sources", "score", "buttons", "handed_back")


def _staff_shown(ids: set) -> dict[int, dict[str, str]]:
    """{staff id: {"name": first name} or {"role": role}} for the members of staff among `ids`."""
    ids = {i for i in ids if isinstance(i, int)}
    if not ids:
        return {}
    site = current_app.config["SETTINGS"].site
    return {user_id: site.staff_shown(name, role) for user_id, name, role in conversations.staff_names(_db(), ids)}


# Deleting is rare for a patient and costly to the database (a WAL checkpoint each time).
DELETES_PER_ADDRESS = "10 per hour"


@bp.delete("/chat/history")
def delete_history():
    """Every copy of the conversation goes (messages, feedback, logged questions, Rasa's events); an open urgent
    ticket stays for staff, anonymised; the audit log records the deletion without naming the sender."""
    sender = _query_sender()
    report = forget(_db(), CHANNEL, sender, TrackerStore.from_settings(current_app.config["SETTINGS"]), keep_open_urgent=True)
    return jsonify({"sender": sender, "deleted": report.found})


@bp.post("/feedback")
def feedback():
    body = json_object(request.get_data(cache=False), request.content_type)
    sender = sender_id(body)
    message_id, rating = id_field(body, "message_id"), body.get("rating")
    if rating not in ("up", "down"):
        raise BadRequest('\'rating\' must be "up" or "down"')
    if not record_feedback(_db(), CHANNEL, sender, message_id, 1 if rating == "up" else -1):
        raise BadRequest("no answer with that id in this conversation", 404)
    return jsonify({"stored": True})
