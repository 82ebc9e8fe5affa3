"""A patient's SMS or WhatsApp message, answered on the channel worker (assistant/channels/worker.py).

1. STOP / START / HELP are handled here, stored in the conversation, and confirmed
   (START only after a STOP: "yes" is otherwise an answer for the dialogue).
2. While the number has opted out nothing is sent; the message is still stored
   for the secretariat, and an emergency still raises an urgent ticket.
3. Otherwise a numbered choice ("1") becomes its button's payload, the turn
   runs like any other channel's (TurnHandler), and the replies are sent in
   order, the emergency reply first.
With the database down the patient is still answered: the turn queues its
writes (core/storage/pending_writes.py), and a number whose opt-out cannot be read is answered (it has just
written to us; on SMS the provider also blocks numbers that sent it STOP).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from assistant.channels import choices, optout
from assistant.channels.channel import Channel, ProviderError
from assistant.channels.formatting import Labels
from assistant.channels.phone import mask
from assistant.safety.red_flags import detect_red_flag
from assistant.turns import TurnHandler
from core.site import Site
from core.storage import conversations, tickets
from core.storage.database import Database

log = logging.getLogger(__name__)

NOT_ANSWERED = "not answered: the patient opted out"


@dataclass(frozen=True)
class Services:
    db: Database
    turns: TurnHandler
    site: Site


def send_all(services: Services, channel: Channel, phone: str, texts: list[str]) -> int:
    """Send in order; stop at the first failure so later parts never arrive without the earlier ones."""
    for sent, text in enumerate(texts):
        try:
            channel.send(phone, text)
        except ProviderError as exc:
            if exc.opted_out:  # the provider already blocks this number (it saw the STOP itself)
                optout.set_opted_out(services.db, channel.name, phone, True)
                log.info("%s to %s not sent: the provider says the number opted out", channel.label, mask(phone))
            else:
                log.error("%s to %s: message %d of %d not sent: %s", channel.label, mask(phone), sent + 1, len(texts), exc)
            return sent
    return len(texts)


def _say(services: Services, channel: Channel, phone: str, patient_text: str, patient_data: dict, reply: str, reply_data: dict) -> None:
    conversations.add_messages(
        services.db, channel.name, phone, [("patient", patient_text, patient_data), ("assistant", reply, reply_data)]
    )
    send_all(services, channel, phone, channel.format_text(reply))


def _language(services: Services, channel: Channel, phone: str) -> str | None:
    """The conversation's stored language; None (English) when there is none or it cannot be read."""
    try:
        return conversations.language_of(services.db, channel.name, phone)
    except SQLAlchemyError as exc:
        log.error("%s %s: language not readable (%s); answering in English", channel.label, mask(phone), exc.__class__.__name__)
        return None


def _keyword(services: Services, channel: Channel, phone: str, text: str, keyword: optout.Keyword) -> None:
    if keyword.action != "help":
        optout.set_opted_out(services.db, channel.name, phone, keyword.action == "stop")
        log.info("%s %s: %s", channel.label, mask(phone), "opted out" if keyword.action == "stop" else "opted in again")
    # The STOP confirmation is the last message the number gets.
    _say(
        services,
        channel,
        phone,
        text,
        {"keyword": keyword.action},
        keyword.reply(services.turns.messages, services.site, _language(services, channel, phone)),
        {"route": "smalltalk", "keyword": keyword.action},
    )


def _while_opted_out(services: Services, channel: Channel, phone: str, text: str) -> None:
    red_flag = detect_red_flag(text)
    data = {"not_answered": NOT_ANSWERED, **({"red_flag": red_flag.category} if red_flag else {})}
    conversations.add_messages(services.db, channel.name, phone, [("patient", text, data)])
    if red_flag:  # nothing may be sent to the number, so a person must call it
        tickets.create_ticket(services.db, channel.name, phone, "urgent", text, route="urgent")
    log.info("%s from %s not answered: the number opted out", channel.label, mask(phone))


def answer(services: Services, channel: Channel, phone: str, text: str) -> None:
    keyword = optout.keyword(text)
    try:
        opted_out = optout.is_opted_out(services.db, channel.name, phone)
    except SQLAlchemyError as exc:
        log.error("%s from %s: opt-out not readable (%s); answering", channel.label, mask(phone), exc.__class__.__name__)
        opted_out = False
    # START words only matter after a STOP: otherwise "yes" is an answer for the dialogue.
    if keyword and (keyword.action != "start" or opted_out):
        _keyword(services, channel, phone, text, keyword)
        return
    if opted_out:
        _while_opted_out(services, channel, phone, text)
        return
    try:
        message = choices.resolve(services.db, channel.name, phone, text)
    except SQLAlchemyError:  # the last choices cannot be read: the text goes to the dialogue as typed
        message = text
    replies = services.turns.handle(channel.name, phone, message)
    language = _language(services, channel, phone)  # as the turn left it
    labels = Labels(*(services.turns.messages.text(key, language, services.site) for key in ("sms_choices_heading", "sms_source")))
    sent = send_all(services, channel, phone, channel.format_replies(replies, labels))
    log.info("%s from %s answered with %d message(s)", channel.label, mask(phone), sent)


def answer_unreadable(services: Services, channel: Channel, phone: str, kind: str) -> None:
    """A picture, voice note, location...: kept as a note for staff; the patient is asked to write."""
    note = f"[{kind}]"
    if optout.is_opted_out(services.db, channel.name, phone):
        conversations.add_messages(services.db, channel.name, phone, [("patient", note, {"media": kind, "not_answered": NOT_ANSWERED})])
        return
    reply = services.turns.messages.text("sms_only_text", _language(services, channel, phone), services.site)
    _say(services, channel, phone, note, {"media": kind}, reply, {"route": "fallback"})
