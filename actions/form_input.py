"""What a patient types inside the contact form, read from the words and never from the classifier.

Inside the form every message is an answer to the question asked: a name, a phone number or e-mail address,
free text. The classifier, trained on questions, takes "Maria Lopez" for "stop" or a phone number for a
question about the day of the procedure; so the form's validation (actions/form_validation.py) reads the
answer here. Only a whole message that is a leave word (or the Cancel button) leaves; at the summary, send,
don't send or change a field. Words in English, French and Spanish, whatever the conversation's language:
patients mix them. Matching ignores case, accents and punctuation at the ends.
"""

from __future__ import annotations

import re
import unicodedata

# Buttons' payloads: the form's own, recognised before any word.
LEAVE_PAYLOAD, SEND_PAYLOAD, DONT_SEND_PAYLOAD = "/stop", "/affirm", "/deny"
CHANGE_PAYLOAD = "change:"  # + the slot's name; no "/": Rasa would look for an intent of that name

LEAVE_WORDS = {
    # English
    "stop", "cancel", "quit", "exit", "leave", "never mind", "nevermind", "forget it", "stop it", "cancel it",
    "cancel this", "stop this", "i want to stop", "no thanks i want to stop",
    # French
    "annuler", "annule", "arreter", "arrete", "j'arrete", "laisser tomber", "laissez tomber", "quitter",
    "on arrete", "je veux arreter", "je veux annuler",
    # Spanish
    "cancelar", "cancela", "parar", "para", "salir", "dejalo", "olvidalo", "quiero cancelar", "quiero parar",
}  # fmt: skip
SEND_WORDS = {
    "yes", "y", "yes please", "yeah", "yep", "ok", "okay", "sure", "send", "send it", "yes send it", "correct",
    "that's right", "thats right", "all correct", "oui", "ok envoyez", "envoyer", "envoyez", "oui envoyez",
    "c'est bon", "c'est correct", "d'accord", "si", "vale", "enviar", "envialo", "si envialo", "correcto",
    "esta bien", "de acuerdo",
}  # fmt: skip
DONT_SEND_WORDS = {"no", "n", "no thanks", "don't send", "dont send", "non", "non merci", "n'envoyez pas", "no gracias", "no lo envies"}
# A message naming a field asks to change it, at the summary ("change my phone number", "the name is wrong").
FIELD_WORDS = {
    "contact_name": ("name", "nom", "nombre", "prenom", "surname"),
    "contact_method": (
        "phone", "number", "mobile", "e-mail", "email", "mail", "address", "contact", "telephone", "numero",
        "portable", "courriel", "adresse", "correo", "telefono", "movil",
    ),
    "contact_about": (
        "about", "details", "message", "reason", "request", "motif", "demande", "sujet", "motivo", "mensaje", "asunto",
        "solicitud",
    ),
    "preferred_times": ("time", "times", "day", "days", "horaire", "horaires", "heure", "jour", "jours", "hora", "horario", "dia", "dias"),
}  # fmt: skip
CHANGE_WORDS = (
    "change", "wrong", "mistake", "incorrect", "fix", "edit", "correct it", "not right", "changer", "modifier",
    "corriger", "faux", "fausse", "erreur", "cambiar", "corregir", "modificar", "incorrecto", "equivocado", "error", "mal",
)  # fmt: skip
NO_WORDS = ("no", "not", "non", "pas", "ne")
# Words that are not part of a name: a sentence typed where the name was asked ("I want to change my appointment").
NOT_NAME_WORDS = {
    "i", "i'm", "im", "my", "me", "you", "want", "need", "would", "like", "can", "please", "appointment", "help",
    "hello", "hi", "what", "how", "why", "is", "are", "the", "a", "an", "to", "it", "not", "no", "yes", "thanks",
    "je", "j'ai", "moi", "mon", "ma", "mes", "veux", "voudrais", "besoin", "rendez-vous", "bonjour", "merci", "est",
    "pourquoi", "comment", "quoi", "yo", "mi", "quiero", "necesito", "cita", "hola", "gracias", "por", "que", "como",
}  # fmt: skip
# "My name is Maria Lopez": the name is what follows.
NAME_PREFIX = re.compile(
    r"^(?:(?:hi|hello),?\s+)?(?:my name is|my name's|name is|i am|i'm|it's|it is|this is|je m'appelle|je suis|"
    r"mon nom est|c'est|me llamo|mi nombre es|soy)\s+",
    re.IGNORECASE,
)
NAME_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|['’.-])*$")
EMAIL = re.compile(r"[^@\s<>()\[\],;:\"]{1,64}@[^@\s<>()\[\],;:\"]+\.[A-Za-z]{2,}")
PHONE_RUN = re.compile(r"\+?\(?\d[\d\s().-]{5,23}\d")
PHONE_DIGITS = (7, 15)  # E.164 allows 15; 7 covers short national numbers


def folded(text: str) -> str:
    """Lower case, no accents, straight apostrophes, single spaces, no punctuation at the ends."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(plain.split()).strip(" .!?¡¿,;:")


def wants_to_leave(text: str) -> bool:
    return text.strip() == LEAVE_PAYLOAD or folded(text) in LEAVE_WORDS


def name_in(text: str) -> str | None:
    """The name in a message that gives one ("Maria Lopez", "my name is José García"), else None."""
    name = NAME_PREFIX.sub("", " ".join(text.split())).strip(" .!,")
    words = name.split()
    if not words or len(words) > 6 or len(name) > 80:
        return None
    if not all(NAME_WORD.match(word) for word in words) or any(folded(word) in NOT_NAME_WORDS for word in words):
        return None
    return name


def contact_in(text: str) -> str | None:
    """A phone number (national or international format) or an e-mail address in the message, cleaned: the
    e-mail in lower case, the number as its digits with a leading + if it had one. None if neither."""
    email = EMAIL.search(text)
    if email:
        return email.group(0).lower()
    for run in PHONE_RUN.finditer(text):
        digits = re.sub(r"\D", "", run.group(0))
        if PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]:
            return ("+" if run.group(0).startswith("+") else "") + digits
    return None


def words_of(text: str) -> list[str]:
    return re.findall(r"[\w'-]+", folded(text))


def says_any(text: str, phrases: tuple[str, ...]) -> bool:
    said = " ".join(words_of(text))
    return any(re.search(rf"(?<![\w'-]){re.escape(phrase)}(?![\w'-])", said) for phrase in phrases)


def field_to_change(text: str) -> str | None:
    """The slot a message at the summary asks to change: a Change button's, or a field named with a change
    word or a "no" ("change my phone number", "the name is wrong", "no, the e-mail"), or named alone."""
    if text.strip().startswith(CHANGE_PAYLOAD):
        return text.strip().removeprefix(CHANGE_PAYLOAD) or None
    words = words_of(text)
    named = next((slot for slot, names in FIELD_WORDS.items() if set(words) & set(names)), None)
    if named and (len(words) <= 3 or says_any(text, CHANGE_WORDS) or set(words) & set(NO_WORDS)):
        return named
    return None


def asks_to_change(text: str) -> bool:
    """A correction that names no field ("that's wrong", "c'est faux")."""
    return says_any(text, CHANGE_WORDS)


def answer_at_summary(text: str, intent: str | None) -> str | None:
    """At the summary: "leave", "send", "dont_send", "change:<slot>", "which" (change, but which field?) or
    None (not an answer: the summary is shown again). Changing comes before yes and no: "no, the number is
    wrong" changes the number. The classifier's affirm/deny is trusted only for what no word list decides."""
    if wants_to_leave(text):
        return "leave"
    stripped = text.strip()
    if stripped == SEND_PAYLOAD:
        return "send"
    if stripped == DONT_SEND_PAYLOAD:
        return "dont_send"
    field = field_to_change(text)
    if field:
        return f"change:{field}"
    if asks_to_change(text):
        return "which"
    said = folded(text)
    if said in SEND_WORDS:
        return "send"
    if said in DONT_SEND_WORDS:
        return "dont_send"
    return {"affirm": "send", "deny": "dont_send"}.get(intent or "")
