"""One patient turn, the same for every channel.

1. The red-flag check runs first, on every message, whatever the dialogue
   state (inside a form, or while a staff member has the conversation): an
   emergency gets the emergency number at once, without waiting for the
   classifier, and raises an urgent ticket.
2. The patient's message is stored before anything can fail.
3. While a staff member has taken the conversation over, the assistant does
   not answer questions: the staff member answers from the inbox. The patient
   is told so at once (a member of staff will reply; in an emergency call ...),
   and a ticket resolved meanwhile is reopened (assistant/storage/held.py).
4. Otherwise Rasa answers (the action server starts the answer's retrieval
   as the message goes to Rasa: assistant/early_retrieval.py); if it cannot
   (down, slow, or an action failed inside it) the patient gets a useful fixed
   reply, never silence. If the dialogue itself recognised an emergency, an
   urgent ticket is raised too.
"""

from __future__ import annotations

import datetime as dt
import logging

from assistant.early_retrieval import EarlyRetrieval
from assistant.rasa_client import RasaClient, RasaUnavailable
from assistant.replies import Reply, fixed, from_rasa
from assistant.safety import fixed_replies
from assistant.safety.red_flags import detect_red_flag
from assistant.site import Site
from assistant.storage import conversations, held, tickets
from assistant.storage.database import Database
from assistant.storage.spool import Spool

log = logging.getLogger(__name__)


class TurnHandler:
    def __init__(self, db: Database, rasa: RasaClient, site: Site, spool: Spool, early_retrieval: EarlyRetrieval):
        self.db = db
        self.rasa = rasa
        self.early_retrieval = early_retrieval
        self.site = site
        self.spool = spool
        self._replay = {
            "messages": lambda channel, sender, entries: conversations.add_messages(
                self.db, channel, sender, [tuple(e) for e in entries]),
            "urgent_ticket": lambda channel, sender, text: tickets.create_ticket(
                self.db, channel, sender, "urgent", text, route="urgent"),
        }

    def handle(self, channel: str, sender: str, text: str) -> list[Reply]:
        red_flag = detect_red_flag(text)
        patient_data = {"red_flag": red_flag.category} if red_flag else {}
        taken_over = self._store(channel, sender, [("patient", text, patient_data)])

        stored_data: dict = {}
        if red_flag:
            replies = [fixed(fixed_replies.EMERGENCY, "urgent", self.site)]
            self._urgent_ticket(channel, sender, text, f"red flag: {red_flag.category}")
        elif taken_over:
            reply, stored_data = self._while_held(channel, sender, text)
            replies = [reply]
        else:
            sender_id = f"{channel}:{sender}"
            self.early_retrieval.hint(sender_id, text)
            try:
                replies = from_rasa(self.rasa.send(sender_id, text, {"channel": channel}), self.site)
            except RasaUnavailable as exc:
                log.error("no answer from the assistant for a %s conversation: %s", channel, exc)
                replies = []
            if not replies:
                replies = [fixed(fixed_replies.UNAVAILABLE, "fallback", self.site)]
            if any(r.route == "urgent" for r in replies):
                self._urgent_ticket(channel, sender, text, "emergency recognised by the dialogue")
        self._store(channel, sender, [("assistant", r.text, {**{k: v for k, v in r.to_dict().items() if k != "text"},
                                                             **stored_data}) for r in replies])
        return replies

    def _while_held(self, channel: str, sender: str, text: str) -> tuple[Reply, dict]:
        """The reply while a staff member holds the conversation, and what to store with it."""
        now = dt.datetime.now(dt.UTC)
        try:
            turn = held.patient_wrote_while_held(self.db, channel, sender, text, now)
        except Exception as exc:  # the message itself is stored; saying too much beats saying nothing
            log.error("could not read the %s conversation's hold (%s); the full note is sent",
                      channel, exc.__class__.__name__)
            turn = held.HeldTurn(full_note=True)
        if turn.reopened:
            log.info("a %s patient wrote while staff kept the conversation; ticket %s is open again",
                     channel, turn.reopened)
        if not turn.full_note:
            return fixed(fixed_replies.STAFF_WILL_READ, "smalltalk", self.site), {"held_note": "receipt"}
        reply = fixed(fixed_replies.STAFF_WILL_REPLY, "smalltalk", self.site)
        if not self.site.is_open(now):
            reply.text += " " + self.site.when_answered(now)
        return reply, {"held_note": held.FULL_NOTE}

    def _urgent_ticket(self, channel: str, sender: str, text: str, why: str) -> None:
        self._write("urgent_ticket", {"channel": channel, "sender": sender, "text": text}, why)

    def _store(self, channel: str, sender: str, entries: list[tuple[str, str, dict]]) -> bool:
        """Store the messages; True if a staff member has the conversation (False when the database is down:
        the assistant answers rather than leave the patient without a reply)."""
        return bool(self._write("messages", {"channel": channel, "sender": sender,
                                             "entries": [list(e) for e in entries]}, f"{len(entries)} message(s)"))

    def _write(self, kind: str, payload: dict, what: str):
        """Write now, after any spooled writes (order matters); spool it if the database fails.
        Returns what the write returned, None when it was spooled."""
        try:
            self.spool.replay(self._replay)
            if self.spool.backlog():
                raise RuntimeError("earlier writes are still waiting")
            return self._replay[kind](**payload)
        except Exception as exc:
            # The patient still gets an answer; /healthz shows the backlog until the database is back.
            log.error("database write failed (%s: %s); spooled for retry", what, exc.__class__.__name__)
            self.spool.put(kind, payload)
            return None
