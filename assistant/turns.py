"""One patient turn, the same for every channel.

1. The red-flag check runs first, on every message, whatever the dialogue
   state (inside a form, or while a staff member has the conversation): an
   emergency gets the emergency number at once, without waiting for the
   classifier, and raises an urgent ticket (one per conversation: a later
   emergency message is added to the open one and alerts staff again). The reply is in the patient's
   language when its catalog has one, and always in English as well.
2. The patient's message is stored before anything can fail, with the
   conversation's language (the widget's page language starts it; then
   core/language.py: judged on messages long
   enough to tell; a short "hola" keeps the conversation's language, and
   switching an established one takes a longer message than setting it).
3. While a staff member has taken the conversation over, the assistant does
   not answer questions: the staff member answers from the inbox. The patient
   is told so at once (a member of staff will reply; in an emergency call ...),
   and a ticket resolved meanwhile is reopened (core/storage/held.py).
4. A patient writing in a language the department has no reviewed texts in
   gets a short sentence in that language (the secretariat's number and
   hours, the emergency number), and one ticket per conversation tells staff
   to call back in that language. The dialogue, trained on English, is not
   asked: it misreads other languages, up to false emergency alarms.
5. Otherwise Rasa answers (the action server starts the answer's retrieval
   as the message goes to Rasa: assistant/early_retrieval.py); if it cannot
   (down, slow, or an action failed inside it) the patient gets a useful fixed
   reply, never silence. If only the dialogue's classifier took the message
   for an emergency (no red-flag words), the patient gets the emergency
   number and the offer of a nurse rather than an alarm, and staff an urgent
   ticket: on real patients' questions the classifier alone raised false
   alarms (docs/EVALUATION.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from assistant.early_retrieval import EarlyRetrieval
from assistant.rasa_client import RasaClient, RasaUnavailable
from assistant.replies import Reply, from_rasa, from_stored
from assistant.safety.red_flags import detect_red_flag
from core.language import MIN_WORDS_TO_SWITCH, identify, word_count
from core.messages import REFERENCE, Messages
from core.site import Site
from core.storage import conversations, held, tickets
from core.storage.conversations import ConversationState
from core.storage.database import Database
from core.storage.pending_writes import PendingWrites

log = logging.getLogger(__name__)
# On SMS and WhatsApp "stop", "cancel", "quit" and "end" opt the number out of every message
# (assistant/channels/optout.py): there the contact form's first question names a word that only leaves the form.
_BY_TEXT = {"utter_ask_contact_name": "form_ask_name_by_text"}
CHANNEL_WORDING = {"sms": _BY_TEXT, "whatsapp": _BY_TEXT, "whatsapp_twilio": _BY_TEXT}
LANGUAGE_ROUTE = "language"  # the route of a "call back in the patient's language" ticket


class EarlierWritesWaiting(RuntimeError):
    """Writes from before are still queued (or may be): this one joins the queue after them, in order."""


class TurnHandler:
    def __init__(
        self, db: Database, rasa: RasaClient, site: Site, pending: PendingWrites, early_retrieval: EarlyRetrieval, messages: Messages
    ):
        self.db = db
        self.rasa = rasa
        self.early_retrieval = early_retrieval
        self.site = site
        self.pending = pending
        self.messages = messages
        # Each write as the pending-writes queue replays it: with the write's id and original time when replayed.
        self._replay: dict[str, Callable[..., object]] = {
            "messages": lambda channel, sender, entries, language=None, language_if_unset=None, write_id=None, at=None: (
                conversations.add_messages(
                    self.db, channel, sender, [tuple(e) for e in entries], language, language_if_unset, at=at, write_id=write_id
                )
            ),
            "urgent_ticket": lambda channel, sender, text, write_id=None, at=None: tickets.raise_urgent(
                self.db, channel, sender, text, at=at, write_id=write_id
            ),
            "language_ticket": lambda channel, sender, text, language, write_id=None, at=None: self._language_ticket(
                channel, sender, text, language, write_id, at
            ),
        }

    def handle(
        self, channel: str, sender: str, text: str, page_language: str | None = None, client_message_id: str | None = None
    ) -> list[Reply]:
        """`page_language`: the language of the page the widget is on; it starts a conversation in that
        language, and a message long enough to judge switches it. `client_message_id`: the client's id for the
        message; sent again (no reply reached the client), it gets the replies stored the first time, and a
        message whose turn stopped before its replies is answered without being stored twice."""
        red_flag = detect_red_flag(text)
        earlier = self._earlier_send(channel, sender, client_message_id)
        if stored := _stored_replies(earlier):
            return stored
        told = identify(text)
        patient_data: dict = {"red_flag": red_flag.category} if red_flag else {}
        if told:
            patient_data["language"] = told
        if client_message_id:
            patient_data["client_message_id"] = client_message_id
        switch_to = told if word_count(text) >= MIN_WORDS_TO_SWITCH else None
        entries = [] if earlier is not None else [("patient", text, patient_data)]
        state = self._store(channel, sender, entries, switch_to, page_language or told)
        language = state.language or switch_to or page_language or told or REFERENCE

        stored_data: dict = {}
        if red_flag:
            replies = [self._fixed("emergency", language, "urgent", in_reference_too=True)]
            self._urgent_ticket(channel, sender, text, f"red flag: {red_flag.category}")
        elif state.taken_over:
            reply, stored_data = self._while_held(channel, sender, text, language)
            replies = [reply]
        elif not self.messages.answers_in(language):
            replies = [self._fixed("no_texts_in_language", language, "escalate_admin", in_reference_too=True)]
            self._write("language_ticket", {"channel": channel, "sender": sender, "text": text, "language": language}, "language ticket")
        else:
            replies = self._dialogue(channel, sender, text, language)
        if client_message_id:
            # Answered once: a second answer is left out, or kept marked as a resend when replayed (conversations.py).
            stored_data["reply_to"] = client_message_id
        written = self._store(
            channel,
            sender,
            [("assistant", r.text, {**{k: v for k, v in r.to_dict().items() if k != "text"}, **stored_data}) for r in replies],
        )
        # Left out: another send of this message was answered meanwhile (its turn outlived the client's wait, and
        # the turn lock could not keep the two apart): the patient gets the replies that are stored.
        if written.left_out and (stored := _stored_replies(self._earlier_send(channel, sender, client_message_id))):
            return stored
        return replies

    def _earlier_send(self, channel: str, sender: str, client_message_id: str | None) -> conversations.EarlierSend | None:
        """None when the message is new, or when the database cannot tell (the turn goes on: a reply stored
        twice is better than none, and the red-flag reply must not wait on a lookup)."""
        if not client_message_id:
            return None
        try:
            return conversations.earlier_send(self.db, channel, sender, client_message_id)
        except Exception as exc:
            log.error("could not look for an earlier send of a %s message (%s); answered as new", channel, exc.__class__.__name__)
            return None

    def _while_held(self, channel: str, sender: str, text: str, language: str) -> tuple[Reply, dict]:
        """The reply while a staff member holds the conversation, and what to store with it."""
        now = dt.datetime.now(dt.UTC)
        try:
            turn = held.patient_wrote_while_held(self.db, channel, sender, text, now)
        except Exception as exc:  # the message itself is stored; saying too much beats saying nothing
            log.error("could not read the %s conversation's hold (%s); the full note is sent", channel, exc.__class__.__name__)
            turn = held.HeldTurn(full_note=True)
        if turn.reopened:
            log.info("a %s patient wrote while staff kept the conversation; ticket %s is open again", channel, turn.reopened)
        if not turn.full_note:
            return self._fixed("staff_will_read", language, "smalltalk"), {"held_note": "receipt"}
        reply = self._fixed("staff_will_reply", language, "smalltalk")
        # Closed: when the secretariat answers, in the note's language (a catalog without those sentences, such as
        # one for a language without texts, has its note without them rather than half in English).
        note_in_reference = reply.text == self.messages.text("staff_will_reply", REFERENCE, self.site)
        if not self.site.is_open(now) and (note_in_reference or self.messages.says_when_answered_in(language, self.site)):
            reply.text += " " + self.messages.when_answered(self.site, now, language)
        return reply, {"held_note": held.FULL_NOTE}

    def _dialogue(self, channel: str, sender: str, text: str, language: str) -> list[Reply]:
        sender_id = f"{channel}:{sender}"
        self.early_retrieval.hint(sender_id, text, language)
        try:
            replies = from_rasa(self.rasa.send(sender_id, text, {"channel": channel, "language": language}), self.site)
        except RasaUnavailable as exc:
            log.error("no answer from the assistant for a %s conversation: %s", channel, exc)
            replies = []
        if not replies:
            replies = [self._fixed("unavailable", language, "fallback")]
        for reply in replies:
            # The dialogue's own responses are written in domain.yml in English; the catalog has them in every language.
            reply.text = self.messages.localise(reply.text, language, self.site, CHANNEL_WORDING.get(channel))
            for button in reply.buttons:
                button["title"] = self.messages.localise(button["title"], language, self.site)
        if any(r.route == "urgent" for r in replies):
            # No red-flag words (they were checked first), only the classifier's reading: the emergency number
            # and a nurse, not an alarm. Staff still get an urgent ticket to look at.
            self._urgent_ticket(channel, sender, text, "emergency recognised by the dialogue only")
            check = self._fixed("emergency_check", language, "escalate_symptom")
            check.buttons = [{"title": self.messages.text("button_leave_details", language, self.site), "payload": "/report_symptom"}]
            replies = [check] + [r for r in replies if r.route != "urgent"]
        return replies

    def _fixed(self, key: str, language: str, route: str, in_reference_too: bool = False) -> Reply:
        if in_reference_too:
            return Reply(text=self.messages.in_language_and_reference(key, language, self.site), route=route)
        return Reply(text=self.messages.text(key, language, self.site), route=route)

    def _language_ticket(
        self, channel: str, sender: str, text: str, language: str, write_id: str | None = None, at: dt.datetime | None = None
    ) -> None:
        if tickets.has_open_ticket(self.db, channel, sender, LANGUAGE_ROUTE):
            return
        name = self.messages.catalogs[language].name if self.messages.has(language) else language
        summary = (
            f"Writes in {name} ({language}), a language without reviewed texts: please call "
            f"back in that language if you can. First message: {text}"
        )
        if write_id is not None and at is not None:
            tickets.create_replayed_ticket(
                self.db, channel, sender, "administrative", summary, route=LANGUAGE_ROUTE, at=at, write_id=write_id
            )
        else:
            tickets.create_ticket(self.db, channel, sender, "administrative", summary, route=LANGUAGE_ROUTE)

    def _urgent_ticket(self, channel: str, sender: str, text: str, why: str) -> None:
        self._write("urgent_ticket", {"channel": channel, "sender": sender, "text": text}, why)

    def _store(
        self,
        channel: str,
        sender: str,
        entries: list[tuple[str, str, dict]],
        language: str | None = None,
        language_if_unset: str | None = None,
    ) -> ConversationState:
        """Store the messages (and the conversation's language, when told); the conversation's state after it.
        When the database is down: not taken over (the assistant answers rather than leave the patient without
        a reply) and no stored language."""
        state = self._write(
            "messages",
            {
                "channel": channel,
                "sender": sender,
                "entries": [list(e) for e in entries],
                "language": language,
                "language_if_unset": language_if_unset,
            },
            f"{len(entries)} message(s)",
        )
        return state if isinstance(state, ConversationState) else ConversationState(False, None)

    def replay_pending(self) -> int:
        """Apply the writes waiting since the database was down (any gateway's, when they share Redis)."""
        return self.pending.replay(self._replay)

    def _write(self, kind: str, payload: dict, what: str):
        """Write now, after any pending writes (order matters); queue it if the database fails.
        Returns what the write returned, None when it was queued."""
        try:
            self.replay_pending()
            if not self.pending.nothing_waits():
                raise EarlierWritesWaiting(what)
            return self._replay[kind](**payload)
        except Exception as exc:
            # The patient still gets an answer; /healthz shows the backlog until the database is back.
            # A database error's message can quote the patient's words; any other error is unexpected: traced.
            unexpected = not isinstance(exc, SQLAlchemyError | EarlierWritesWaiting)
            log.error("database write failed (%s: %s); queued for replay", what, exc.__class__.__name__, exc_info=unexpected)
            self.pending.put(kind, payload, f"{payload['channel']}:{payload['sender']}")
            return None


def _stored_replies(earlier: conversations.EarlierSend | None) -> list[Reply]:
    """The replies stored for an earlier send of the message (none when there was none, or its turn stopped first)."""
    return [from_stored(m["text"], m["data"]) for m in earlier.replies] if earlier else []
