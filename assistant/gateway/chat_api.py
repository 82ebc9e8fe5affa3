"""The web chat API: POST /api/chat (used by the widget, documented in the README)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from assistant.gateway.validation import json_object, message_text, sender_id

bp = Blueprint("chat_api", __name__, url_prefix="/api")
CHANNEL = "web"


@bp.post("/chat")
def chat():
    body = json_object(request.get_data(cache=False), request.content_type)
    sender = sender_id(body)
    text = message_text(body, current_app.config["MAX_MESSAGE_CHARS"])
    replies = current_app.extensions["turns"].handle(CHANNEL, sender, text)
    return jsonify({"sender": sender, "messages": [r.to_dict() for r in replies]})
