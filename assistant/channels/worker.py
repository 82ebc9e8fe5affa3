"""The threads that answer SMS and WhatsApp messages, in every gateway process.

A webhook stores its messages as jobs in the database before it answers the provider (`accept`, through
core/storage/channel_jobs.py, in the transaction that records the provider's message ids); then it wakes
this process's threads. Each thread claims one job at a time, under a lease, runs its channel's handler
(the turn, and sending the replies), and only then marks it done. A process that is killed leaves its jobs
claimed: any gateway's threads take them over once the lease has passed, and a restarted gateway resumes
them. Threads also look for work every `poll_seconds`, for jobs another gateway stored or gave up.

One conversation's jobs run strictly one after another, in arrival order, across processes (the claim
decides, channel_jobs.py); different patients are served in parallel.

When the database is down as the webhook arrives, the message cannot be stored: it is answered from this
process's memory instead (today's behaviour: the patient gets the answer or the safe reply, the turn's writes
wait in the pending-writes queue), in order per conversation. Such a message is lost if this process dies
before answering it, and a provider's retry of it is answered again (its id could not be recorded).
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from core.storage import channel_jobs
from core.storage.channel_jobs import Job, NewJob
from core.storage.database import Database

log = logging.getLogger(__name__)
Handler = Callable[[Job | NewJob], None]


class Worker:
    def __init__(self, db: Database, threads: int = 4, lease_seconds: float = 90.0, poll_seconds: float = 1.0):
        self.db = db
        self.threads = threads
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self._handlers: dict[str, Handler] = {}
        self._changed = threading.Condition()
        self._generation = 0  # raised by every wake and every finished job
        self._running = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._memory = MemoryQueue(threads)
        self._unreadable_since: float | None = None

    def handle(self, channel: str, handler: Handler) -> None:
        """The handler that answers `channel`'s jobs (the turn and the replies); it raises only on a bug."""
        self._handlers[channel] = handler

    def start(self) -> None:
        """Start the threads (once): they resume the jobs left in the database at once."""
        if self._threads:
            return
        with self._changed:
            if self._threads or self._stop.is_set():
                return
            for number in range(self.threads):
                thread = threading.Thread(target=self._run, name=f"channel-{number}", daemon=True)
                self._threads.append(thread)
                thread.start()

    def accept(self, db: Database, provider: str, jobs: list[NewJob], answer_now: Handler) -> None:
        """Store the jobs (each message id once) before the webhook is answered; with the database down, answer
        them from memory with `answer_now` instead."""
        if not jobs:
            return
        try:
            try:
                stored = channel_jobs.enqueue(db, provider, jobs)
            except IntegrityError:  # a concurrent delivery recorded one of these ids: now it shows as a duplicate
                stored = channel_jobs.enqueue(db, provider, jobs)
        except SQLAlchemyError as exc:
            log.error("%s message(s) from %s not stored (%s); answered from memory", len(jobs), provider, exc.__class__.__name__)
            for job in {job.message_id: job for job in jobs}.values():
                self._memory.submit((job.channel, job.sender_key), partial(answer_now, job))
            return
        if stored:
            self.wake()

    def wake(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def _run(self) -> None:
        holder = f"{os.getpid()}-{threading.get_ident()}-{secrets.token_hex(6)}"
        while not self._stop.is_set():
            with self._changed:
                seen = self._generation
            job = self._claim(holder)
            if job is None:
                with self._changed:
                    if self._generation == seen and not self._stop.is_set():
                        self._changed.wait(self.poll_seconds)
                continue
            self._answer(job, holder)

    def _claim(self, holder: str) -> Job | None:
        try:
            job = channel_jobs.claim(self.db, holder, self.lease_seconds)
            self._unreadable_since = None
        except SQLAlchemyError as exc:
            if self._unreadable_since is None:  # once per outage, not once per thread and poll
                log.error("channel jobs not readable (%s); trying again every %s s", exc.__class__.__name__, self.poll_seconds)
                self._unreadable_since = time.monotonic()
            return None
        if job is not None:
            with self._changed:
                self._running += 1
        return job

    def _answer(self, job: Job, holder: str) -> None:
        outcome = channel_jobs.ANSWERED
        try:
            handler = self._handlers[job.channel]
            if job.attempts > 1:
                log.warning("channel job %d taken over after its lease passed (attempt %d)", job.id, job.attempts)
            handler(job)
        except Exception:
            log.exception("channel job %d failed", job.id)
            outcome = channel_jobs.FAILED
        try:
            if not channel_jobs.finish(self.db, job, holder, outcome):
                log.warning("channel job %d was taken over by another worker while this one answered it", job.id)
        except SQLAlchemyError as exc:  # it is answered again once its lease has passed
            log.error("channel job %d answered but not marked done (%s)", job.id, exc.__class__.__name__)
        with self._changed:
            self._running -= 1
            self._generation += 1
            self._changed.notify_all()

    def join(self, timeout: float) -> bool:
        """Wait until no job waits in the database or in memory and none runs here; False after `timeout` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._changed:
                idle = not self._running
            if idle and self._memory.idle() and channel_jobs.waiting(self.db) == 0:
                return True
            with self._changed:
                self._changed.wait(0.05)  # woken by every job finished here; the limit covers other processes' jobs
        return False

    def close(self) -> None:
        """Stop the threads after their current job, and finish the in-memory jobs (the end of a test)."""
        self._stop.set()
        self.wake()
        for thread in self._threads:
            thread.join()
        self._memory.close()


class MemoryQueue:
    """Jobs kept in this process only (the database was down): one conversation's in order, others in parallel."""

    def __init__(self, threads: int):
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="channel-memory")
        self._queues: dict[Hashable, deque[Callable[[], None]]] = {}
        self._lock = threading.Lock()

    def submit(self, key: Hashable, job: Callable[[], None]) -> None:
        with self._lock:
            queue = self._queues.get(key)
            if queue is not None:  # a job for this conversation is running: it runs this one next
                queue.append(job)
                return
            self._queues[key] = deque([job])
        self._pool.submit(self._drain, key)

    def _drain(self, key: Hashable) -> None:
        while True:
            with self._lock:
                queue = self._queues[key]
                if not queue:
                    del self._queues[key]
                    return
                job = queue[0]
            try:
                job()
            except Exception:
                log.exception("a channel job failed")
            with self._lock:
                queue.popleft()

    def idle(self) -> bool:
        with self._lock:
            return not self._queues

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def start_when_serving(app, jobs: Worker) -> None:
    """Start the threads at the gateway's first request (a load balancer's probe comes within seconds), so a
    command-line process that builds the app (`flask retention ...`) never claims a job it would abandon."""
    if not app.extensions.get("channel_worker_starts"):
        app.extensions["channel_worker_starts"] = True
        app.before_request(jobs.start)


def for_app(extensions: dict, settings) -> Worker:
    """The gateway's one channel worker, shared by the Twilio and WhatsApp webhooks."""
    if "channel_worker" not in extensions:
        # A job runs one turn (at most one Rasa timeout, and Rasa's answer may wait for another) and its sends.
        lease = 2 * settings.rasa_timeout + 60
        extensions["channel_worker"] = Worker(extensions["db"], settings.channel_workers, lease)
    return extensions["channel_worker"]
