"""Writes made while the database is down, kept until it answers again and then applied in order, once.

When the database is locked or unreachable the patient still gets an answer; their message, the replies and
any urgent ticket become entries `{"id", "kind", "payload", "at", "conversation"}`: a unique id, what to
write, and the time it happened.

- With Redis configured (`ASSISTANT_PENDING_WRITES_REDIS`, every scaled gateway) the entries go to one Redis
  stream (XADD), shared by every gateway: a machine removed during an outage leaves nothing behind, and any
  gateway replays them.
- Without it, or while Redis cannot be reached either, they go to a file on this machine (core/storage/spool.py);
  once Redis answers, the file's entries are moved into the stream, after the older ones. While a configured
  Redis cannot be read, nothing is written directly or replayed from the file: the stream may hold older writes.

Replay: one gateway at a time holds the replay lock (a Redis lock with a time limit, renewed per batch) and
applies the stream's entries in stream order, the order they were written, which keeps each conversation's
messages in order; an entry is deleted from the stream after its write committed, and replay stops at the
first write that fails (the database is still down), leaving it and everything after it for later. Each write
records the entry's id in the same transaction (core/storage/replayed.py), so an entry applied twice (a
replayer whose lock ran out while another started, or one that crashed between the commit and the delete)
writes once. Replayed rows keep the entry's time, so transcripts stay in the order things were said.

A consumer group would hand different entries to different gateways and apply one conversation's writes in
parallel, out of order; a single replayer under a lock, with idempotent writes, keeps the order and loses
nothing when it dies (entries stay in the stream until they are written).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import cast

import redis
from redis.exceptions import LockError, RedisError
from redis.lock import Lock

from core.storage.spool import Spool

log = logging.getLogger(__name__)
REDIS_TIMEOUT_SECONDS = 1.0  # a Redis that does not answer must not hold a patient's reply longer than this
# After a failure Redis is left alone this long: a silent Redis costs one time-out, not one per write.
RETRY_REDIS_AFTER_SECONDS = 5.0
REPLAY_LOCK_SECONDS = 60  # renewed after every batch; a replayer that died frees it after this long
BATCH = 100

Handlers = dict[str, Callable[..., object]]


class PendingWrites:
    def __init__(self, local: Spool, redis_url: str = "", key: str = "assistant:pending-writes"):
        self.local = local
        self.key = key
        self._redis = (
            redis.Redis.from_url(
                redis_url, decode_responses=True, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
            )
            if redis_url
            else None
        )
        self._redis_down_until = 0.0

    def _shared(self) -> redis.Redis | None:
        """The Redis client, unless Redis failed a moment ago."""
        return self._redis if self._redis is not None and time.monotonic() >= self._redis_down_until else None

    def _redis_failed(self, exc: Exception, what: str) -> None:
        self._redis_down_until = time.monotonic() + RETRY_REDIS_AFTER_SECONDS
        log.error("the shared queue of pending writes is unreachable (%s): %s", exc.__class__.__name__, what)

    @property
    def shared(self) -> bool:
        return self._redis is not None

    def put(self, kind: str, payload: dict, conversation: str = "") -> None:
        at = dt.datetime.now(dt.UTC).isoformat()
        entry = {"id": uuid.uuid4().hex, "kind": kind, "payload": payload, "at": at, "conversation": conversation}
        shared = self._shared()
        if shared is not None:
            try:
                shared.xadd(self.key, {"entry": json.dumps(entry, ensure_ascii=False)})
                return
            except RedisError as exc:
                self._redis_failed(exc, "the write is kept on this machine")
        self.local.put(entry)

    def backlog(self) -> int:
        """Entries waiting: this machine's file, and the shared stream when it can be read."""
        waiting = self.local.backlog()
        shared = self._shared()
        if shared is not None:
            try:
                waiting += cast(int, shared.xlen(self.key))
            except RedisError as exc:  # unknown until Redis answers
                self._redis_failed(exc, "its backlog is not counted")
        return waiting

    def nothing_waits(self) -> bool:
        """No earlier write is waiting, or may be: a shared queue that cannot be read counts as waiting (it may
        hold another gateway's writes, or this one's from before Redis went away), so a write made now would land
        before older ones."""
        if self.local.backlog():
            return False
        if self._redis is None:
            return True
        shared = self._shared()
        if shared is None:
            return False
        try:
            return not shared.xlen(self.key)
        except RedisError as exc:
            self._redis_failed(exc, "writes wait until it answers")
            return False

    def replay(self, handlers: Handlers) -> int:
        """Apply what waits, in order, with `handlers[kind](**payload, write_id=..., at=...)`; keep what still
        fails. Returns how many entries were applied (0 when another gateway is replaying)."""
        applied = 0
        shared = self._shared()
        if self.local.backlog():
            if shared is not None:
                self._move_local_to_stream(shared)
            elif self._redis is None:
                applied += self.local.drain(lambda entry: apply(handlers, entry))
            else:
                return 0  # the shared queue, unreadable, may hold older writes: this file's go after them
        if shared is not None:
            applied += self._replay_stream(shared, handlers)
        return applied

    def _move_local_to_stream(self, shared: redis.Redis) -> bool:
        """True when every local entry is now in the shared stream."""
        self.local.drain(lambda entry: shared.xadd(self.key, {"entry": json.dumps(entry, ensure_ascii=False)}))
        return not self.local.backlog()

    def replay_lock(self, shared: redis.Redis) -> Lock:
        """Held by the one gateway that replays (every gateway names the same key)."""
        return shared.lock(f"{self.key}:replaying", timeout=REPLAY_LOCK_SECONDS, blocking=False)

    def _replay_stream(self, shared: redis.Redis, handlers: Handlers) -> int:
        try:
            if not shared.xlen(self.key):
                return 0
            lock = self.replay_lock(shared)
            if not lock.acquire():
                return 0  # another gateway is replaying
        except RedisError as exc:
            self._redis_failed(exc, "nothing replayed")
            return 0
        applied = 0
        try:
            while entries := cast(list, shared.xrange(self.key, count=BATCH)):
                for stream_id, fields in entries:
                    try:
                        apply(handlers, json.loads(fields["entry"]))
                    except Exception as exc:
                        log.warning("database still unavailable (%s); %d pending write(s) kept", exc.__class__.__name__, self.backlog())
                        return applied
                    shared.xdel(self.key, stream_id)
                    applied += 1
                lock.reacquire()
            return applied
        except (RedisError, LockError) as exc:
            log.error("replay of pending writes interrupted (%s); the rest waits for the next", exc.__class__.__name__)
            return applied
        finally:
            with contextlib.suppress(RedisError, LockError):  # it ran out; another replayer may hold it now
                lock.release()


def apply(handlers: Handlers, entry: dict) -> object:
    """One entry's write. Entries of a spool written before entries had ids are applied without one."""
    at = dt.datetime.fromisoformat(entry["at"]) if entry.get("at") else None
    return handlers[entry["kind"]](**entry["payload"], write_id=entry.get("id"), at=at)
