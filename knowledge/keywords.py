"""Keyword side of retrieval: one tokenizer for index and queries, BM25 via bm25s."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import Stemmer

from knowledge.languages import LANGUAGES, REFERENCE

_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = LANGUAGES[REFERENCE].stopwords


@cache
def _stemmer(code: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(LANGUAGES[code].stemmer)


def fold(text: str) -> str:
    """Lower case without accents: 'Embolisation' and 'embolisation' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str, language: str = REFERENCE) -> list[str]:
    """Folded, stop-word-free, stemmed words. Folding comes first, so the stemmer sees words without accents on
    both sides ("opération" and "operation" stem alike; tests/test_keywords.py checks the French and Spanish
    stemmers still join a word's forms after folding)."""
    code = language if language in LANGUAGES else REFERENCE
    words = [w for w in _WORD.findall(fold(text)) if w not in LANGUAGES[code].stopwords]
    return _stemmer(code).stemWords(words)
