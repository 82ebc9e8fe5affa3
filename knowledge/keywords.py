"""Keyword side of retrieval: one tokenizer for index and queries, BM25 via bm25s."""

from __future__ import annotations

import re
import unicodedata

import Stemmer

_stemmer = Stemmer.Stemmer("english")
_WORD = re.compile(r"[a-z0-9]+")
# Small on purpose: words such as "after", "before", "long" and "drive" carry
# the topic of a patient's question and must stay.
STOPWORDS = frozenset(
    "a an and are as at be but by can could do does for from have how i if in into is it its me my of on or our should so that the "
    "their them there these they this to was we were what when where which who will with would you your".split()
)


def fold(text: str) -> str:
    """Lower case without accents: 'Embolisation' and 'embolisation' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str) -> list[str]:
    words = [w for w in _WORD.findall(fold(text)) if w not in STOPWORDS]
    return _stemmer.stemWords(words)
