"""WhatsApp through Meta's Cloud API.

GET  /channels/whatsapp   the webhook set-up handshake: hub.mode=subscribe and hub.verify_token
                          (WHATSAPP_VERIFY_TOKEN) → the hub.challenge echoed as plain text.
POST /channels/whatsapp   message notifications, signed with X-Hub-Signature-256 (HMAC-SHA256 of
                          the raw body with WHATSAPP_APP_SECRET): missing 401, wrong 403, nothing stored.

A signed notification is read at once: its messages are stored as jobs with
their message ids, in one transaction, and only then acknowledged with 200 (Meta
retries anything else). The channel worker (assistant/channels/worker.py)
answers them through the Graph API. Delivery statuses, reactions and other
notices are ignored without a write; a message id is handled once
(assistant/channels/dedupe.py). With the database down the messages are
answered from memory (see worker.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from assistant.channels import dedupe, formatting, inbound, staff_replies, worker
from assistant.channels.channel import Channel
from assistant.channels.graph_client import GraphClient, WhatsAppConfig
from assistant.channels.phone import e164, mask
from assistant.gateway.validation import BadRequest
from core.storage.channel_jobs import Job, NewJob
from core.text_input import clean_text

log = logging.getLogger(__name__)

bp = Blueprint("channels_whatsapp", __name__, url_prefix="/channels")
# Meta batches notifications; far above a few messages, small enough to refuse floods.
MAX_BODY_BYTES = 1024 * 1024
CHALLENGE = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
MAX_TEXT_CHARS = formatting.WHATSAPP_MAX_CHARS
# Messages a person cannot read as text: the patient is asked to write instead.
UNREADABLE = {"image", "audio", "video", "document", "sticker", "location", "contacts"}


@dataclass(frozen=True)
class _WhatsApp:
    config: WhatsAppConfig
    services: inbound.Services
    channel: Channel


def register(app: Flask) -> None:
    config = app.config["SETTINGS"].whatsapp
    client = GraphClient(config)
    channel = Channel(
        "whatsapp",
        "WhatsApp",
        config.can_send,
        formatting.to_whatsapp,
        formatting.whatsapp_messages,
        client.send_text,
        service_window=True,
        send_template=client.send_template if config.template_name else None,
    )
    app.extensions["senders"][channel.name] = staff_replies.sender(channel)
    services = inbound.Services(app.extensions["db"], app.extensions["turns"], app.config["SETTINGS"].site)
    whatsapp = app.extensions["channels_whatsapp"] = _WhatsApp(config, services, channel)
    jobs = worker.for_app(app.extensions, app.config["SETTINGS"])
    jobs.handle(channel.name, partial(_answer, whatsapp))
    if config.app_secret:
        worker.start_when_serving(app, jobs)
    app.register_blueprint(bp)


def _state() -> _WhatsApp:
    return current_app.extensions["channels_whatsapp"]


@bp.get("/whatsapp")
def verify_webhook():
    config = _state().config
    if not config.verify_token:
        raise BadRequest("the WhatsApp channel is not configured (WHATSAPP_VERIFY_TOKEN)", 503)
    mode, token, challenge = (request.args.get(f"hub.{name}") for name in ("mode", "verify_token", "challenge"))
    if mode is None or token is None or challenge is None:
        raise BadRequest("'hub.mode', 'hub.verify_token' and 'hub.challenge' are required")
    if mode != "subscribe" or not hmac.compare_digest(token.encode(), config.verify_token.encode()):
        raise BadRequest("the verify token does not match", 403)
    if not CHALLENGE.match(challenge):
        raise BadRequest("'hub.challenge' must be 1 to 256 letters, digits or _ . -")
    return Response(challenge, status=200, mimetype="text/plain")


def _signature_checked_body(app_secret: str) -> bytes:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise BadRequest(f"the request is too large: at most {MAX_BODY_BYTES} bytes", 413)
    request.max_content_length = MAX_BODY_BYTES  # also for a body sent without Content-Length
    raw = request.get_data(cache=False)
    signature = request.headers.get("X-Hub-Signature-256", "").strip()
    if not signature:
        raise BadRequest("the request is not signed (X-Hub-Signature-256 is missing)", 401)
    expected = "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.lower().encode(), expected.encode()):
        raise BadRequest("the X-Hub-Signature-256 signature does not match", 403)
    return raw


def _notification(raw: bytes) -> dict:
    if request.mimetype != "application/json":
        raise BadRequest("send the notification as JSON (Content-Type: application/json)", 415)
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("the request body is not valid UTF-8") from None
    except (ValueError, RecursionError):  # ValueError also covers an integer of more than 4300 digits
        raise BadRequest("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def _objects(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _messages(body: dict, phone_number_id: str) -> Iterator[dict]:
    """The patients' messages in a notification (statuses and other fields are skipped)."""
    for entry in _objects(body.get("entry")):
        for change in _objects(entry.get("changes")):
            value: dict = change["value"] if isinstance(change.get("value"), dict) else {}
            if change.get("field") != "messages":
                continue
            metadata: dict = value["metadata"] if isinstance(value.get("metadata"), dict) else {}
            if phone_number_id and metadata.get("phone_number_id") != phone_number_id:
                log.warning("WhatsApp notification for another phone number id ignored")
                continue
            yield from _objects(value.get("messages"))


def _text_of(message: dict) -> str | None:
    kind = message.get("type")
    part: dict = message[kind] if isinstance(kind, str) and isinstance(message.get(kind), dict) else {}
    if kind == "text":
        return part.get("body") if isinstance(part.get("body"), str) else None
    if kind == "button":  # a quick-reply button of a template
        return part.get("text") if isinstance(part.get("text"), str) else None
    return None


@bp.post("/whatsapp")
def incoming_notification():
    whatsapp = _state()
    if not whatsapp.config.app_secret:
        raise BadRequest("the WhatsApp channel is not configured (WHATSAPP_APP_SECRET)", 503)
    body = _notification(_signature_checked_body(whatsapp.config.app_secret))

    jobs = worker.for_app(current_app.extensions, current_app.config["SETTINGS"])
    jobs.accept(whatsapp.services.db, "whatsapp", list(_new_jobs(whatsapp, body)), partial(_answer, whatsapp))
    return jsonify({"received": True})


def _new_jobs(whatsapp: _WhatsApp, body: dict) -> Iterator[NewJob]:
    """The notification's messages to answer, in order (a message id twice in it is stored once)."""
    for message in _messages(body, whatsapp.config.phone_number_id):
        phone, message_id, kind = e164(str(message.get("from", ""))), str(message.get("id", "")), message.get("type")
        if phone is None or not message_id or len(message_id) > dedupe.MAX_ID_CHARS:
            log.warning("WhatsApp message without a usable sender or id ignored")
            continue
        if not isinstance(kind, str):
            log.warning("WhatsApp message whose type is not a string ignored")
            continue
        text = _text_of(message)
        if text is not None:
            text = clean_text(text)[:MAX_TEXT_CHARS]
            if text:
                yield NewJob(whatsapp.channel.name, phone, message_id, {"text": text})
        elif kind in UNREADABLE:
            yield NewJob(whatsapp.channel.name, phone, message_id, {"media": kind})
        else:
            log.info("WhatsApp %s message from %s ignored", kind, mask(phone))  # reactions, system notices...


def _answer(whatsapp: _WhatsApp, job: Job | NewJob) -> None:
    """A stored message, answered on the channel worker."""
    if "text" in job.payload:
        inbound.answer(whatsapp.services, whatsapp.channel, job.sender_key, job.payload["text"])
    else:
        inbound.answer_unreadable(whatsapp.services, whatsapp.channel, job.sender_key, job.payload["media"])
