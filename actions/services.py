"""What the actions share: settings, the knowledge retriever, the name matcher, the database.

Created on first use, never at import: the action server must start at once
and load the embedding model only when the first question arrives.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import TypeVar

from rasa_sdk import Tracker

from actions.early_retrieval import EarlyWork
from core.config import Settings
from core.messages import Messages
from core.site import Site
from core.storage.database import Database
from knowledge.documents import load_and_validate
from knowledge.languages import REFERENCE, with_texts
from knowledge.languages import index_dir as language_index_dir
from knowledge.names import ProcedureMatcher
from knowledge.retriever import IndexUnavailable, RawScores, Retriever

log = logging.getLogger(__name__)
T = TypeVar("T")


def shared(create: Callable[[], T]) -> Callable[[], T]:
    """One instance, created on first use; actions run in worker threads, so two first uses may not both create it."""
    cached, lock = lru_cache(maxsize=1)(create), threading.Lock()

    @wraps(create)
    def get() -> T:
        with lock:
            return cached()

    get.cache_clear = cached.cache_clear
    return get


@shared
def settings() -> Settings:
    return Settings.from_env()


def site() -> Site:
    return settings().site


@shared
def messages() -> Messages:
    return settings().messages


def language_of(tracker: Tracker) -> str | None:
    """The conversation's language, as the gateway sends it with each message (None: the reference language)."""
    metadata = tracker.latest_message.get("metadata") or {}
    language = metadata.get("language")
    return language if isinstance(language, str) else None


def weekdays_of(chunk: dict) -> list[str] | None:
    """The day names of a text's language, for its {opening_hours} (None: the site's own, English)."""
    language = chunk.get("language", REFERENCE)
    return None if language == REFERENCE or not messages().has(language) else messages().catalogs[language].weekdays


def fill(chunk: dict) -> str:
    """A text's section filled from site.yml in the text's language: its day names, and the department's names
    and response time where site.yml gives them in that language."""
    return site().fill(chunk["text"], weekdays_of(chunk), chunk.get("language", REFERENCE))


def say(key: str, tracker: Tracker, **values: str) -> str:
    """The catalog's sentence for `key` (messages/<language>.yml) in the conversation's language, filled."""
    return messages().text(key, language_of(tracker), site(), **values)


def text_language(tracker: Tracker) -> str:
    """The language whose texts answer this conversation: its own if it has texts, else English."""
    language = language_of(tracker)
    return language if language in _languages_with_texts() else REFERENCE


@shared
def _languages_with_texts() -> tuple[str, ...]:
    return tuple(with_texts(settings().knowledge_dir))


_retrievers: dict[str, Retriever] = {}
_retrievers_lock = threading.Lock()


def retriever(language: str = REFERENCE) -> Retriever:
    """The retriever over `language`'s index, one per language, created on first use."""
    with _retrievers_lock:
        if language not in _retrievers:
            index = language_index_dir(settings().index_dir, language)
            _retrievers[language] = Retriever(settings().knowledge_dir, index, language=language)
        return _retrievers[language]


retriever.cache_clear = _retrievers.clear  # type: ignore[attr-defined]


@shared
def early_retrieval() -> EarlyWork[RawScores]:
    # Nobody waits for this work yet (Rasa is still classifying the message): its texts run one after another on
    # one core, leaving the other to Rasa (docs/BENCHMARKS.md; the answering action's own path uses both).
    # A work item is (language, text).
    return EarlyWork(lambda item: retriever(item[0]).raw_scores(item[1], side_by_side=False))


def raw_scores(sender_id: str, text: str, language: str = REFERENCE) -> RawScores:
    """The message's retrieval scores: computed early for this conversation (actions/early_retrieval.py) or now."""
    early = early_retrieval().take(sender_id, (language, text))
    return early if early is not None else retriever(language).raw_scores(text)


@shared
def database() -> Database:
    return Database(settings().database_url, settings().sqlite)


def matcher(language: str = REFERENCE) -> ProcedureMatcher:
    """The procedure names of the language's loaded index (they follow a rebuild; another language's also has
    the English names); from the English texts if no index."""
    try:
        return retriever(language).index().matcher
    except IndexUnavailable:
        return _matcher_from_texts()


@shared
def _matcher_from_texts() -> ProcedureMatcher:
    docs, _ = load_and_validate(settings().knowledge_dir)
    return ProcedureMatcher.from_entries(docs)


def log_unanswered(sender_key: str, text: str, reason: str, procedure: str | None) -> None:
    """Best effort: a database problem must never stop the patient's reply."""
    from core.storage.curation import log_unanswered as store

    try:
        store(database(), sender_key, text, reason, procedure)
    except Exception:
        log.exception("could not log an unanswered question")


def create_ticket(channel: str, sender_key: str, kind: str, summary: str, **details):
    from core.storage.tickets import create_ticket as store

    return store(database(), channel, sender_key, kind, summary, **details)


def warm_up_in_background() -> None:
    def warm_up() -> None:
        try:
            retriever().search("what is interventional radiology?")
            log.info("knowledge index and embedding model loaded")
        except Exception:
            log.exception("warm-up failed; the first question will load the index instead")

    threading.Thread(target=warm_up, name="knowledge-warm-up", daemon=True).start()
