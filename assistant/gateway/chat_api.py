"""The web chat API used by the widget and by integrations with an API key (documented in the README).

POST   /api/conversations   a new web conversation: its signed token (assistant/gateway/identity.py)
POST   /api/chat            send a message, get the replies (one turn at a time per conversation); a message
                            sent again with the same client_message_id gets the replies stored the first time
GET    /api/chat/history    the conversation so far (after=<id> for new messages only)
DELETE /api/chat/history    the patient ends and deletes the conversation
POST   /api/feedback        thumbs up/down on an answer

Every route but the first needs the conversation's token (header X-Conversation-Token), or an integration's API
key (Authorization: Bearer) with the integration's own `sender` (in the body, or the query for history).
"""

from __future__ import annotations

import json

from flask import Blueprint, Flask, current_app, jsonify, request
from flask_limiter.util import get_remote_address

from assistant import rate_limits
from assistant.gateway import identity
from assistant.gateway.validation import (
    BadRequest,
    client_message_id,
    id_field,
    json_object,
    message_text,
    page_language,
    whole_number,
)
from assistant.inbox.retention import TrackerStore, forget
from assistant.inbox.secret_key import secret_key
from core.storage import conversations, turn_locks
from core.storage.feedback import record_feedback

bp = Blueprint("chat_api", __name__, url_prefix="/api")
CHANNEL = "web"


def _db():
    return current_app.extensions["db"]


def _sender_of_request() -> str:
    """Rate-limit key: the request's conversation (falls back to the address for unreadable or unauthorised ones)."""
    try:
        sender = json.loads(request.get_data()).get("sender")
    except (ValueError, AttributeError, RecursionError):
        sender = None
    key = identity.rate_limit_key(sender)
    return f"sender:{key}" if key else f"ip:{get_remote_address()}"


# A widget asks for one conversation per browser (again only after the patient deletes one).
NEW_CONVERSATIONS_PER_ADDRESS = "30 per hour"


def register(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    app.extensions[identity.EXTENSION] = identity.ConversationTokens(secret_key(settings))
    app.register_blueprint(bp)
    # A patient types a few messages a minute; a flood from one sender or one
    # address is refused before it reaches the dialogue (limits in the app config).
    rate_limits.limit(app, "chat_api.chat", lambda: current_app.config["RATE_LIMIT_PER_SENDER"], key_func=_sender_of_request)
    rate_limits.limit(app, "chat_api.chat", lambda: current_app.config["RATE_LIMIT_PER_ADDRESS"])
    rate_limits.limit(app, "chat_api.chat_history", lambda: current_app.config["RATE_LIMIT_POLLING"])
    rate_limits.limit(app, "chat_api.delete_history", DELETES_PER_ADDRESS)
    rate_limits.limit(app, "chat_api.new_conversation", NEW_CONVERSATIONS_PER_ADDRESS)


@bp.post("/conversations")
def new_conversation():
    token, _ = current_app.extensions[identity.EXTENSION].new()
    return jsonify({"token": token}), 201


BUSY = "the previous message of this conversation is still being answered; wait for its reply, then send this one again"


@bp.post("/chat")
def chat():
    body = json_object(request.get_data(), request.content_type)
    sender = identity.caller(body.get("sender")).sender
    text = message_text(body, current_app.config["MAX_MESSAGE_CHARS"])
    language = page_language(body)
    message_id = client_message_id(body)
    settings = current_app.config["SETTINGS"]
    # One turn at a time: a second simultaneous message waits a little for the first, then gets a 429 (the
    # messages and replies are stored in the order Rasa saw them, and no thread waits on Rasa's own lock).
    try:
        with turn_locks.turn(_db(), CHANNEL, sender, settings.turn_wait_seconds, lease_seconds=2 * settings.rasa_timeout + 30):
            replies = current_app.extensions["turns"].handle(CHANNEL, sender, text, language, message_id)
    except turn_locks.Busy:
        return jsonify({"error": BUSY}), 429
    return jsonify({"sender": sender, "messages": [r.to_dict() for r in replies]})


def _query_sender() -> str:
    return identity.caller(request.args.get("sender")).sender


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


# What a stored message's data tells the widget (never staff ids or full names); a patient message's own client
# message id lets the widget recognise a message whose send only looked failed.
PASSED_ON = ("route", "procedure", "topic", "sources", "score", "buttons", "handed_back", "more", "asks", "client_message_id")


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
    sender = identity.caller(body.get("sender")).sender
    message_id, rating = id_field(body, "message_id"), body.get("rating")
    if rating not in ("up", "down"):
        raise BadRequest('\'rating\' must be "up" or "down"')
    if not record_feedback(_db(), CHANNEL, sender, message_id, 1 if rating == "up" else -1):
        raise BadRequest("no answer with that id in this conversation", 404)
    return jsonify({"stored": True})
