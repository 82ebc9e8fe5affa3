"""One patient turn, the same for every channel.

1. The red-flag check runs first, on every message, whatever the dialogue
   state: an emergency gets the emergency number at once, without waiting for
   the classifier.
2. The patient's message is stored before anything can fail.
3. Rasa answers; if it cannot (down, slow, or an action failed inside it) the
   patient gets a useful fixed reply, never silence.
"""

from __future__ import annotations

import logging

from assistant.rasa_client import RasaClient, RasaUnavailable
from assistant.replies import Reply, fixed, from_rasa
from assistant.safety import fixed_replies
from assistant.safety.red_flags import detect_red_flag
from assistant.site import Site
from assistant.storage import conversations
from assistant.storage.database import Database

log = logging.getLogger(__name__)


class TurnHandler:
    def __init__(self, db: Database, rasa: RasaClient, site: Site):
        self.db = db
        self.rasa = rasa
        self.site = site

    def handle(self, channel: str, sender: str, text: str) -> list[Reply]:
        red_flag = detect_red_flag(text)
        patient_data = {"red_flag": red_flag.category} if red_flag else {}
        self._store(channel, sender, [("patient", text, patient_data)])

        if red_flag:
            replies = [fixed(fixed_replies.EMERGENCY, "urgent", self.site)]
        else:
            try:
                replies = from_rasa(self.rasa.send(f"{channel}:{sender}", text, {"channel": channel}), self.site)
            except RasaUnavailable as exc:
                log.error("no answer from the assistant for a %s conversation: %s", channel, exc)
                replies = []
            if not replies:
                replies = [fixed(fixed_replies.UNAVAILABLE, "fallback", self.site)]
        self._store(channel, sender, [("assistant", r.text, {k: v for k, v in r.to_dict().items() if k != "text"})
                                      for r in replies])
        return replies

    def _store(self, channel: str, sender: str, entries: list[tuple[str, str, dict]]) -> None:
        try:
            conversations.add_messages(self.db, channel, sender, entries)
        except Exception:
            # The patient still gets an answer; the failure is visible in /healthz and the logs.
            log.exception("could not store %d message(s) of a %s conversation", len(entries), channel)
