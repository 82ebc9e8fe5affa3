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
from assistant.routing import preference

log = logging.getLogger(__name__)

# Hints waiting for the background thread; past that they are dropped (the turn is answered either way).
QUEUE_SIZE = 32
TIMEOUT_SECONDS = 1.0


class EarlyRetrieval:
    def __init__(
        self, action_server_url: str, timeout: float = TIMEOUT_SECONDS, headers: dict[str, str] | None = None, rasa_servers: int = 1
    ):
        # Several action servers ("http://a:5055,http://b:5055"): the hint goes to the one paired with the Rasa
        # server the conversation goes to (the same position in RASA_URL's list), whose calls it will serve.
        self.urls = [f"{url.strip().rstrip('/')}/early-retrieval" for url in action_server_url.split(",") if url.strip()]
        self.url = self.urls[0]
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json", **(headers or {})}
        self.rasa_servers = rasa_servers
        self._pool = urllib3.PoolManager(maxsize=1, retries=NO_RETRIES)
        self._queue: queue.Queue[tuple[str, bytes]] = queue.Queue(QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()

    def hint(self, sender_id: str, text: str, language: str = "en") -> bool:
        """Queue the text (in the conversation's `language`, which picks the index) for the action server;
        False if it was dropped. Never blocks, never raises."""
        if text.startswith("/"):  # a button's payload names its intent: Rasa reads it, nothing is retrieved
            return False
        self._ensure_thread()
        try:
            url = self.url_for(sender_id)
            self._queue.put_nowait((url, json.dumps({"sender": sender_id, "text": text, "language": language}).encode()))
        except queue.Full:
            return False
        return True

    def url_for(self, sender_id: str) -> str:
        rasa_server = preference(sender_id, self.rasa_servers)[0]
        return self.urls[rasa_server % len(self.urls)]

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
            url, body = self._queue.get()
            try:
                self._pool.request("POST", url, body=body, headers=self.headers, timeout=self.timeout)
            except HTTPError as exc:
                # The turn itself reports an action server that is really down; this is only lost speed.
                log.debug("early retrieval hint not delivered: %s", exc.__class__.__name__)
