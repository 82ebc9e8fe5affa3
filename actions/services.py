"""What the actions share: settings, the knowledge retriever, the name matcher, the database.

Created on first use, never at import: the action server must start at once
and load the embedding model only when the first question arrives.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache

from assistant.config import Settings
from assistant.site import Site
from assistant.storage.database import Database
from knowledge.documents import load_and_validate
from knowledge.names import ProcedureMatcher
from knowledge.retriever import IndexUnavailable, Retriever

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


def site() -> Site:
    return settings().site


@lru_cache(maxsize=1)
def retriever() -> Retriever:
    return Retriever(settings().knowledge_dir, settings().index_dir)


@lru_cache(maxsize=1)
def database() -> Database:
    return Database(settings().database_url)


def matcher() -> ProcedureMatcher:
    """The procedure names of the loaded index (they follow a rebuild); from the texts if no index."""
    try:
        return retriever().index().matcher
    except IndexUnavailable:
        return _matcher_from_texts()


@lru_cache(maxsize=1)
def _matcher_from_texts() -> ProcedureMatcher:
    docs, _ = load_and_validate(settings().knowledge_dir)
    return ProcedureMatcher.from_entries(docs)


def log_unanswered(sender_key: str, text: str, reason: str, procedure: str | None) -> None:
    """Best effort: a database problem must never stop the patient's reply."""
    from assistant.storage.curation import log_unanswered as store

    try:
        store(database(), sender_key, text, reason, procedure)
    except Exception:
        log.exception("could not log an unanswered question")


def create_ticket(channel: str, sender_key: str, kind: str, summary: str, **details):
    from assistant.storage.tickets import create_ticket as store

    return store(database(), channel, sender_key, kind, summary, **details)


def warm_up_in_background() -> None:
    def warm_up() -> None:
        try:
            retriever().search("what is interventional radiology?")
            log.info("knowledge index and embedding model loaded")
        except Exception:
            log.exception("warm-up failed; the first question will load the index instead")

    threading.Thread(target=warm_up, name="knowledge-warm-up", daemon=True).start()
