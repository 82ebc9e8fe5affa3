"""Twilio's webhook: SMS, and WhatsApp through Twilio (From "whatsapp:+…").

POST /channels/twilio   Twilio's form-encoded incoming-message request, signed with X-Twilio-Signature.

Answered with an empty TwiML <Response/> once the message is stored as a job,
with its message id (a retry is answered once; assistant/channels/dedupe.py);
the channel worker answers it and the replies go out through Twilio's REST API
afterwards (assistant/channels/worker.py), so long answers, several messages
and later staff replies all travel the same way. With the database down the
message is answered from memory (see worker.py).

Refused before anything is stored: a request without a valid signature (403;
checked against PUBLIC_BASE_URL when the gateway sits behind a proxy), one
that is not form-encoded (415), one without From or Body (400).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

from flask import Blueprint, Flask, Response, current_app, request
from twilio.request_validator import SIGNATURE_SETTINGS_HEADER, RequestValidator, get_signature_algorithm

from assistant.channels import formatting, inbound, staff_replies, worker
from assistant.channels.channel import Channel
from assistant.channels.phone import e164
from assistant.channels.twilio_client import TwilioClient, TwilioConfig
from assistant.gateway.validation import BadRequest
from core.storage.channel_jobs import Job, NewJob
from core.text_input import clean_text

bp = Blueprint("channels_twilio", __name__, url_prefix="/channels")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
MESSAGE_SID = re.compile(r"^[A-Za-z0-9]{1,64}$")
# Twilio delivers at most 1,600 characters; anything longer did not come from a phone.
MAX_BODY_CHARS = 1600


@dataclass(frozen=True)
class _Twilio:
    config: TwilioConfig
    services: inbound.Services
    sms: Channel
    whatsapp: Channel


def register(app: Flask) -> None:
    config = app.config["SETTINGS"].twilio
    client = TwilioClient(config)
    sms = Channel("sms", "SMS", config.can_send and bool(config.sms_from), formatting.to_sms, formatting.sms_messages, client.send_sms)
    whatsapp = Channel(
        "whatsapp_twilio",
        "WhatsApp",
        config.can_send and bool(config.whatsapp_from),
        formatting.to_whatsapp,
        formatting.whatsapp_messages,
        client.send_whatsapp,
        service_window=True,
    )
    for channel in (sms, whatsapp):
        app.extensions["senders"][channel.name] = staff_replies.sender(channel)
    services = inbound.Services(app.extensions["db"], app.extensions["turns"], app.config["SETTINGS"].site)
    twilio = app.extensions["channels_twilio"] = _Twilio(config, services, sms, whatsapp)
    jobs = worker.for_app(app.extensions, app.config["SETTINGS"])
    for channel in (sms, whatsapp):
        jobs.handle(channel.name, partial(_answer, twilio))
    if config.auth_token:
        worker.start_when_serving(app, jobs)
    app.register_blueprint(bp)


def _webhook_url(config: TwilioConfig) -> str:
    """The URL Twilio requested: behind a proxy, the public one it was configured with."""
    base = config.public_base_url or request.url_root.rstrip("/")
    query = request.query_string.decode("latin-1")
    return base + request.path + (f"?{query}" if query else "")


def _signed_by_twilio(config: TwilioConfig) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    return RequestValidator(config.auth_token).validate(_webhook_url(config), request.form, signature, algorithm)


def _twiml() -> Response:
    return Response(EMPTY_TWIML, status=200, mimetype="text/xml")


@bp.post("/twilio")
def incoming_message():
    twilio: _Twilio = current_app.extensions["channels_twilio"]
    if not twilio.config.auth_token:
        raise BadRequest("the Twilio channel is not configured (TWILIO_AUTH_TOKEN)", 503)
    if request.mimetype != "application/x-www-form-urlencoded":
        raise BadRequest("Twilio webhooks are form-encoded: Content-Type application/x-www-form-urlencoded", 415)
    if not _signed_by_twilio(twilio.config):
        raise BadRequest("the request does not carry a valid Twilio signature", 403)

    form = request.form
    if "From" not in form or "Body" not in form:
        raise BadRequest("'From' and 'Body' are required")
    address = form["From"]
    channel = twilio.whatsapp if address.startswith("whatsapp:") else twilio.sms
    phone = e164(address.removeprefix("whatsapp:"))
    if phone is None:
        raise BadRequest("'From' must be a phone number in E.164 form (+ and 8 to 15 digits)")
    message_sid = form.get("MessageSid", "")
    if not MESSAGE_SID.match(message_sid):
        raise BadRequest("'MessageSid' is required: letters and digits, at most 64")
    text = clean_text(form["Body"])
    if len(text) > MAX_BODY_CHARS:
        raise BadRequest(f"'Body' is too long: at most {MAX_BODY_CHARS} characters")

    if text:
        payload = {"text": text}
    elif form.get("NumMedia", "0") not in ("", "0"):
        payload = {"media": form.get("MediaContentType0", "").split("/")[0] or "media"}  # image, audio, video...
    else:
        return _twiml()
    jobs = worker.for_app(current_app.extensions, current_app.config["SETTINGS"])
    jobs.accept(twilio.services.db, "twilio", [NewJob(channel.name, phone, message_sid, payload)], partial(_answer, twilio))
    return _twiml()


def _answer(twilio: _Twilio, job: Job | NewJob) -> None:
    """A stored message, answered on the channel worker."""
    channel = twilio.whatsapp if job.channel == twilio.whatsapp.name else twilio.sms
    if "text" in job.payload:
        inbound.answer(twilio.services, channel, job.sender_key, job.payload["text"])
    else:
        inbound.answer_unreadable(twilio.services, channel, job.sender_key, job.payload["media"])
