"""Early retrieval: a patient's question is embedded and scored while Rasa is still reading it.

The gateway posts each message's text to the action server (POST /early-retrieval)
as it passes the message on to Rasa. The scores (knowledge.retriever.RawScores:
they depend on the text alone) are computed in a worker thread, and when Rasa then
calls an answering action for that message, the action takes them instead of
computing them again: the embedding is off the patient's wait.

An entry belongs to one conversation and one text, is taken once, and is dropped
after EXPIRY_SECONDS; one conversation's work is never used for another's. A
message that needs no retrieval ("thanks", a form's answer) leaves an entry that
nobody takes, which costs one embedding and is counted (GET /early-retrieval).
Whenever an entry is missing, still queued or failed, the action computes the
scores itself, so an answer never depends on this path.

With several action servers (or Sanic workers) a message's early work can land on
another one than Rasa's call: that is a miss, never a wrong answer.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

from sanic import Request, Sanic, response

log = logging.getLogger(__name__)
T = TypeVar("T")

ROUTE = "/early-retrieval"
EXPIRY_SECONDS = 30.0
# Far more than the conversations that can be mid-turn at once on one action server.
MAX_ENTRIES = 256
# An action waits at most this long for work already running; then it computes the scores itself.
WAIT_SECONDS = 5.0
MAX_SENDER_CHARS = 200
MAX_TEXT_CHARS = 4000


class EarlyWork(Generic[T]):
    """Work started ahead for (conversation, text), handed once to whoever asks for that same pair."""

    def __init__(
        self,
        compute: Callable[[str], T],
        workers: int = 2,
        expiry: float = EXPIRY_SECONDS,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._compute = compute
        self._expiry = expiry
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str], tuple[float, Future]] = OrderedDict()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="early-retrieval")
        self._counts: Counter = Counter()

    def start(self, sender_id: str, text: str) -> bool:
        """Start the work for this conversation's text; False if it is already started."""
        with self._lock:
            self._drop_expired()
            key = (sender_id, text)
            if key in self._entries:
                return False
            while len(self._entries) >= self._max_entries:
                _, (_, oldest) = self._entries.popitem(last=False)
                oldest.cancel()
                self._counts["dropped"] += 1
            self._entries[key] = (self._clock(), self._pool.submit(self._compute, text))
            self._counts["started"] += 1
            return True

    def _count(self, outcome: str) -> None:
        with self._lock:
            self._counts[outcome] += 1

    def take(self, sender_id: str, text: str) -> T | None:
        """The result for this conversation's text, if it was started and can be had now; None otherwise."""
        with self._lock:
            self._drop_expired()
            entry = self._entries.pop((sender_id, text), None)
        if entry is None:
            self._count("missed")
            return None
        future = entry[1]
        if future.cancel():  # still queued behind other work: computing it here is quicker than waiting
            self._count("queued")
            return None
        try:
            result = future.result(timeout=WAIT_SECONDS)
        except Exception as exc:  # the caller computes it again, and meets the same error where it is handled
            log.warning("early retrieval failed (%s); computing it again", exc.__class__.__name__)
            self._count("failed")
            return None
        self._count("taken")
        return result

    def _drop_expired(self) -> None:
        oldest = self._clock() - self._expiry
        while self._entries:
            key, (started, future) = next(iter(self._entries.items()))
            if started > oldest:
                break
            del self._entries[key]
            future.cancel()
            self._counts["expired"] += 1

    def report(self) -> dict[str, int]:
        """How the early work went so far, and how many entries wait to be taken."""
        with self._lock:
            self._drop_expired()
            return {**self._counts, "pending": len(self._entries)}


def parse_request(body: bytes) -> tuple[str, str, str]:
    """(sender, text, language) from the gateway's JSON body; ValueError with the reason if it is not one.
    The language (of the conversation, two letters) picks the index; without one, English."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ValueError("the body must be JSON") from exc
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    sender, text = data.get("sender"), data.get("text")
    if not isinstance(sender, str) or not sender or len(sender) > MAX_SENDER_CHARS:
        raise ValueError(f"'sender' must be a string of 1 to {MAX_SENDER_CHARS} characters")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"'text' must be a string of 1 to {MAX_TEXT_CHARS} characters")
    language = data.get("language", "en")
    if not isinstance(language, str) or not re.fullmatch(r"[a-z]{2}", language):
        raise ValueError("'language' must be a two-letter code such as 'fr'")
    return sender, text, language


def register(app: Sanic, work: Callable[[], EarlyWork]) -> None:
    """Add the route to the action server; `work` gives the process's EarlyWork (created on first use)."""

    @app.post(ROUTE)
    async def early_retrieval(request: Request):
        try:
            sender, text, language = parse_request(request.body)
        except ValueError as exc:
            return response.json({"error": str(exc)}, status=400)
        return response.json({"started": work().start(sender, (language, text))}, status=202)

    @app.get(ROUTE)
    async def early_retrieval_counts(_: Request):
        return response.json(work().report())
