"""The gateway's half of early retrieval (the action server's half: actions/early_retrieval.py).

As a message goes to Rasa, its text also goes to the action server, which starts
embedding and scoring it while Rasa is still classifying it; the answering action
then finds the work done. The post is made by a background thread, so the
patient's turn never waits for it, and it is best effort: when the action server
is down or busy, or the queue here is full, the hint is dropped and the action
does the work itself, as it would without this.
"""

from __future__ import annotations

import json
import logging
import queue
import threading

import urllib3
from urllib3.exceptions import HTTPError

from assistant.rasa_client import NO_RETRIES

log = logging.getLogger(__name__)

# Hints waiting for the background thread; past that they are dropped (the turn is answered either way).
QUEUE_SIZE = 32
TIMEOUT_SECONDS = 1.0


class EarlyRetrieval:
    def __init__(self, action_server_url: str | None, timeout: float = TIMEOUT_SECONDS, headers: dict[str, str] | None = None):
        # None: off. With several action servers (Settings.early_retrieval), the answering action may run on
        # another one than the hint reached, which would then embed and score every message for nothing.
        self.url = f"{action_server_url.strip().rstrip('/')}/early-retrieval" if action_server_url else None
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json", **(headers or {})}
        self._pool = urllib3.PoolManager(maxsize=1, retries=NO_RETRIES)
        self._queue: queue.Queue[bytes] = queue.Queue(QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()

    def hint(self, sender_id: str, text: str, language: str = "en") -> bool:
        """Queue the text (in the conversation's `language`, which picks the index) for the action server;
        False if it was dropped or early retrieval is off. Never blocks, never raises."""
        if self.url is None or text.startswith("/"):  # a button's payload names its intent: nothing to retrieve
            return False
        self._ensure_thread()
        try:
            self._queue.put_nowait(json.dumps({"sender": sender_id, "text": text, "language": language}).encode())
        except queue.Full:
            return False
        return True

    def waiting(self) -> int:
        """Hints queued and not yet sent."""
        return self._queue.qsize()

    def _ensure_thread(self) -> None:
        # Started on first use, in the process that uses it (gunicorn forks its workers after the app is made).
        with self._thread_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._send_forever, name="early-retrieval", daemon=True)
                self._thread.start()

    def _send_forever(self) -> None:
        while True:
            body = self._queue.get()
            if self.url is None:  # only queued while on
                continue
            try:
                self._pool.request("POST", self.url, body=body, headers=self.headers, timeout=self.timeout)
            except HTTPError as exc:
                # The turn itself reports an action server that is really down; this is only lost speed.
                log.debug("early retrieval hint not delivered: %s", exc.__class__.__name__)
