"""STOP / START / HELP on SMS and WhatsApp, in English, French and Spanish; confirmed from the message catalogs.

A keyword counts only as the whole message ("stop", "Stop.", "ARRÊT"), never
inside a sentence: "stop the bleeding" is a question for the assistant (and
the red-flag check). The English words are Twilio's own opt-out keywords, so
our record agrees with the block Twilio applies on SMS.

START words count only while the number is opted out (assistant/channels/inbound.py).
After STOP nothing more is sent to that number on that channel (answers,
staff replies) until START; HELP is always answered, as carriers require.
"""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select

from core.messages import REFERENCE, Messages
from core.site import Site
from core.storage.database import Database
from core.storage.models import OptOut, utcnow

_WORDS = {
    "stop": {
        "en": "STOP STOPALL UNSUBSCRIBE CANCEL END QUIT OPTOUT REVOKE",
        "fr": "ARRET ARRETER DESABONNER DESINSCRIRE",
        "es": "BAJA PARAR DETENER CANCELAR",
    },
    "start": {"en": "START UNSTOP YES", "fr": "REPRENDRE", "es": "ALTA"},
    "help": {"en": "HELP INFO", "fr": "AIDE", "es": "AYUDA"},
}
KEYWORDS: dict[str, tuple[str, str]] = {
    word: (action, language) for action, languages in _WORDS.items() for language, words in languages.items() for word in words.split()
}

# The confirmation's catalog key (messages/<language>.yml).
REPLY_KEYS = {"stop": "sms_stopped", "start": "sms_started", "help": "sms_help"}


@dataclass(frozen=True)
class Keyword:
    action: str  # stop, start, help
    language: str  # en, fr, es: the keyword's language

    def reply(self, messages: Messages, site: Site, conversation_language: str | None) -> str:
        """The confirmation in the keyword's language; for an English keyword (STOP is also every carrier's),
        in the conversation's language when it has one."""
        language = self.language if self.language != REFERENCE else conversation_language
        return messages.text(REPLY_KEYS[self.action], language, site)


def _normalise(text: str) -> str:
    stripped = text.strip().strip(string.punctuation + "¡¿ ").upper()
    decomposed = unicodedata.normalize("NFKD", stripped)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace(" ", "")


def keyword(text: str) -> Keyword | None:
    if len(text) > 20:  # a sentence, not a keyword
        return None
    found = KEYWORDS.get(_normalise(text))
    return Keyword(*found) if found else None


def set_opted_out(db: Database, channel: str, address: str, opted_out: bool) -> None:
    with db.session() as session:
        row = session.scalar(select(OptOut).where(OptOut.channel == channel, OptOut.address == address))
        if row is None:
            session.add(OptOut(channel=channel, address=address, opted_out=opted_out))
        else:
            row.opted_out = opted_out
            row.updated_at = utcnow()


def is_opted_out(db: Database, channel: str, address: str) -> bool:
    with db.session() as session:
        return bool(session.scalar(select(OptOut.opted_out).where(OptOut.channel == channel, OptOut.address == address)))
