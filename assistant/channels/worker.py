"""Channel work done after the webhook has been answered (providers want a quick acknowledgement).

Jobs for the same conversation run one after another, in arrival order, so a
patient's second message is answered after their first; different patients
are served in parallel.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, threads: int = 4):
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="channel")
        self._queues: dict[Hashable, deque[Callable[[], None]]] = {}
        self._idle = threading.Condition()

    def submit(self, key: Hashable, job: Callable[[], None]) -> None:
        with self._idle:
            queue = self._queues.get(key)
            if queue is not None:  # a job for this conversation is running: it runs this one next
                queue.append(job)
                return
            self._queues[key] = deque([job])
        self._pool.submit(self._drain, key)

    def _drain(self, key: Hashable) -> None:
        while True:
            with self._idle:
                queue = self._queues[key]
                if not queue:
                    del self._queues[key]
                    self._idle.notify_all()
                    return
                job = queue[0]
            try:
                job()
            except Exception:
                log.exception("a channel job failed")
            with self._idle:
                queue.popleft()

    def join(self, timeout: float) -> bool:
        """Wait until no job is queued or running; False if that took longer than `timeout` seconds."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._queues, timeout)

    def close(self) -> None:
        """Finish the queued jobs and stop the threads (the end of a test; at exit Python does it itself)."""
        self._pool.shutdown(wait=True)


def for_app(extensions: dict) -> Worker:
    """The gateway's one channel worker, shared by the Twilio and WhatsApp webhooks."""
    return extensions.setdefault("channel_worker", Worker())
