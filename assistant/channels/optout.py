"""STOP / START / HELP on SMS and WhatsApp, in English, French and Spanish.

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

from assistant.site import Site
from assistant.storage.database import Database
from assistant.storage.models import OptOut, utcnow

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

REPLIES = {
    "stop": {
        "en": "You will get no more messages from the {department_name}. Send START to get them again. "
        "In an emergency call {emergency_number}.",
        "fr": "Vous ne recevrez plus de messages du service ({department_name}). Envoyez START pour les recevoir "
        "à nouveau. En cas d'urgence, appelez le {emergency_number}.",
        "es": "No recibirá más mensajes del servicio ({department_name}). Envíe START para volver a recibirlos. "
        "En caso de emergencia, llame al {emergency_number}.",
    },
    "start": {
        "en": "You will get messages from the {department_name} again. Send your question, or STOP to stop messages.",
        "fr": "Vous recevrez à nouveau les messages du service ({department_name}). Envoyez votre question, "
        "ou STOP pour ne plus en recevoir.",
        "es": "Volverá a recibir los mensajes del servicio ({department_name}). Envíe su pregunta, o STOP para dejar de recibirlos.",
    },
    "help": {
        "en": "{department_name}, {hospital_name}. Secretariat: {department_phone} ({opening_hours}), "
        "{department_email}. In an emergency call {emergency_number}. Send STOP to stop messages.",
        "fr": "{department_name}, {hospital_name}. Secrétariat : {department_phone} ({opening_hours}), "
        "{department_email}. En cas d'urgence, appelez le {emergency_number}. Envoyez STOP pour ne plus "
        "recevoir de messages.",
        "es": "{department_name}, {hospital_name}. Secretaría: {department_phone} ({opening_hours}), "
        "{department_email}. En caso de emergencia, llame al {emergency_number}. Envíe STOP para dejar "
        "de recibir mensajes.",
    },
}


@dataclass(frozen=True)
class Keyword:
    action: str  # stop, start, help
    language: str  # en, fr, es: the language of the confirmation

    def reply(self, site: Site) -> str:
        return site.fill(REPLIES[self.action][self.language])


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
