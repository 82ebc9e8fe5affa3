"""Lock stores for Rasa that let one turn of a conversation run at a time, for sure, and tell the tracker store so.

Rasa 3.6's RedisLockStore keeps a conversation's queue of tickets as one JSON value that each server reads,
changes in memory and writes back: two servers taking a ticket at the same moment each write a queue holding
only their own, and both are served at once. Its tickets also end after 60 s whatever the turn is still doing.

`FencedRedisLockStore` (several Rasa servers, endpoints.scaled.yml) holds one Redis key per conversation:
- taken with `SET key token NX PX ttl`, which Redis does atomically, so one server has it;
- renewed every third of the ttl while the turn runs, by a script that extends the key only if it still holds
  this turn's token, so a slow action call keeps it; a server that dies stops renewing and its lock ends
  after the ttl;
- released by a script that deletes the key only if it still holds this turn's token, so a turn whose lock
  ended never deletes the next holder's.
The token is the value of a Redis counter (INCR) and a random mark of the server, so no two turns ever have
the same one, even after Redis restarts without its data and counts from 1 again. It is
the fencing token: the tracker store records it in the database when the turn reads the conversation and
refuses to save a turn whose token is no longer the one recorded (rasa_addons/tracker_store.py). A server
whose lock ended while it was stalled (a blocked event loop, a paused machine) thus cannot append its events
after another server's.

`InProcessLockStore` (one Rasa server, endpoints.yml): the same turn order and tokens without Redis. It is
exclusive only among the turns of one process, like Rasa's in-memory store; Rasa lets a custom lock store run
several Sanic workers (SANIC_WORKERS), which this one must not (the fence would then refuse the loser's turns).

In both, the turns of one conversation within a server wait in an asyncio lock first, which serves them in
arrival order (a patient's messages are answered in the order they were sent) and lets only one of them poll
Redis. While a turn holds a lock, `held_lock(conversation_id)` gives it to the tracker store.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from rasa_addons import rasa_version

logger = logging.getLogger(__name__)

# A crashed server's conversations wait this long for its lock to end; renewal keeps a live turn's lock.
TTL_SECONDS = 20.0
# A turn that cannot get its conversation's lock within this fails (Rasa answers an error; the gateway replies).
WAIT_SECONDS = 60.0
# Not Rasa's own "lock:" keys, whose JSON ticket queues a server of the old kind would overwrite.
KEY_PREFIX = "turn-lock:"
FENCE_COUNTER = "fence-counter"

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_EXTEND = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"


@dataclass
class HeldLock:
    """A running turn's hold on its conversation."""

    conversation_id: str
    token: str  # unique among all turns of all servers: the fencing token
    check: Callable[[], Awaitable[bool]] = field(repr=False)
    lost: bool = False  # found ended or taken by another turn: this turn must not write
    fence_claimed: bool = False  # the tracker store recorded this turn's token (rasa_addons/tracker_store.py)

    async def still_held(self) -> bool:
        if not self.lost and not await self.check():
            self.mark_lost("it is no longer held")
        return not self.lost

    def mark_lost(self, why: str) -> None:
        if not self.lost:
            self.lost = True
            logger.error(
                "LOCK LOST for conversation %s (token %s) while its turn was running: %s. "
                "The tracker store refuses to save this turn from now on.",
                self.conversation_id,
                self.token,
                why,
            )


_held: contextvars.ContextVar[HeldLock | None] = contextvars.ContextVar("rasa_addons_held_lock", default=None)


def held_lock(conversation_id: str) -> HeldLock | None:
    """The lock of this module the running turn holds on `conversation_id`, if it holds one."""
    held = _held.get()
    return held if held is not None and held.conversation_id == conversation_id else None


@dataclass
class _Queue:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class ExclusiveLockStore(LockStore):
    """Rasa's `LockStore` interface as Rasa 3.6 uses it (`async with store.lock(conversation_id)`), exclusive."""

    def __init__(self) -> None:
        # Replaces LockStore.lock, the one method Rasa's agent, processor and server call: only on the Rasa it was written for.
        rasa_version.check_installed()
        super().__init__()
        self._queues: dict[str, _Queue] = {}

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[HeldLock]:
        """Hold `conversation_id` for the body; Rasa's arguments are for its ticket lock and are not used."""
        queue = self._queues.setdefault(conversation_id, _Queue())
        queue.users += 1
        try:
            async with queue.lock:
                held = await self._acquire(conversation_id)
                renewal = asyncio.create_task(self._renew(held))
                context = _held.set(held)
                try:
                    yield held
                finally:
                    _held.reset(context)
                    renewal.cancel()
                    await self._release(held)
        finally:
            queue.users -= 1
            if not queue.users:
                del self._queues[conversation_id]

    async def _acquire(self, conversation_id: str) -> HeldLock:
        raise NotImplementedError

    async def _renew(self, held: HeldLock) -> None:
        """Keep `held` for as long as the turn runs (cancelled when it ends)."""

    async def _release(self, held: HeldLock) -> None:
        raise NotImplementedError


class InProcessLockStore(ExclusiveLockStore):
    """One Rasa server: the turns of a conversation one at a time within this process."""

    def __init__(self, endpoint_config: EndpointConfig | None = None) -> None:
        super().__init__()
        self._process = secrets.token_hex(8)  # tokens stay unique if two processes ever share a database
        self._counter = itertools.count(1)

    async def _acquire(self, conversation_id: str) -> HeldLock:
        return HeldLock(conversation_id, f"{self._process}-{next(self._counter)}", _always_held)

    async def _release(self, held: HeldLock) -> None:
        return None


async def _always_held() -> bool:
    return True


class FencedRedisLockStore(ExclusiveLockStore):
    """Several Rasa servers: one Redis key per conversation, set only if absent, renewed, fenced.

    endpoints.scaled.yml names it with Redis's address (`url`, `port`, `db`, `password`, ...: redis-py's
    arguments) and optionally `ttl_seconds`, `wait_seconds` and `key_prefix`.
    """

    def __init__(self, endpoint_config: EndpointConfig | None = None, **settings: Any) -> None:
        super().__init__()
        import redis.asyncio

        if endpoint_config is not None:
            settings = {"host": endpoint_config.url, **endpoint_config.kwargs, **settings}
        self.ttl_ms = int(float(settings.pop("ttl_seconds", TTL_SECONDS)) * 1000)
        self.wait_seconds = float(settings.pop("wait_seconds", WAIT_SECONDS))
        self.key_prefix = str(settings.pop("key_prefix", KEY_PREFIX))
        if "use_ssl" in settings:  # Rasa's name for it in its own lock store's settings
            settings["ssl"] = settings.pop("use_ssl")
        self.redis = redis.asyncio.Redis(
            host=settings.pop("host", None) or "localhost",
            port=int(settings.pop("port", 6379)),
            db=int(settings.pop("db", 1)),
            socket_timeout=float(settings.pop("socket_timeout", 10)),
            # A pooled connection Redis (or the network) closed meanwhile fails on first use: sent again once on a
            # new connection (a command that failed to be sent was not run; INCR run twice only skips a token).
            retry_on_error=[redis.exceptions.ConnectionError],
            **settings,
        )
        self._server = secrets.token_hex(4)
        self._extend = self.redis.register_script(_EXTEND)
        self._delete = self.redis.register_script(_RELEASE)

    def key(self, conversation_id: str) -> str:
        return self.key_prefix + conversation_id

    async def _acquire(self, conversation_id: str) -> HeldLock:
        from redis.exceptions import RedisError

        key = self.key(conversation_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_seconds
        pause = 0.002
        try:
            token = f"{await self.redis.incr(self.key_prefix + FENCE_COUNTER)}-{self._server}"
            while not await self.redis.set(key, token, nx=True, px=self.ttl_ms):
                if loop.time() >= deadline:
                    raise LockError(f"Conversation '{conversation_id}' stayed locked by another turn for {self.wait_seconds} s.")
                await asyncio.sleep(pause)  # another server's turn holds it: poll, backing off
                pause = min(pause * 2, 0.05)
        except RedisError as error:
            raise LockError(f"Could not lock conversation '{conversation_id}': Redis failed ({error}).") from error

        async def check() -> bool:
            try:
                return await self.redis.get(key) == token.encode()
            except RedisError as error:
                logger.warning("Could not check the lock of conversation %s in Redis: %s", conversation_id, error)
                return False

        return HeldLock(conversation_id, token, check)

    async def _renew(self, held: HeldLock) -> None:
        from redis.exceptions import RedisError

        loop = asyncio.get_running_loop()
        renewed_at = loop.time()
        while not held.lost:
            await asyncio.sleep(self.ttl_ms / 3000)
            try:
                extended = await self._extend(keys=[self.key(held.conversation_id)], args=[held.token, self.ttl_ms])
            except RedisError as error:
                logger.warning("Could not renew the lock of conversation %s: %s", held.conversation_id, error)
                if (loop.time() - renewed_at) * 1000 >= self.ttl_ms:
                    held.mark_lost("Redis did not answer for longer than the lock's ttl")
                continue
            if not extended:
                held.mark_lost("its Redis key ended or holds another turn's token")
            renewed_at = loop.time()

    async def _release(self, held: HeldLock) -> None:
        from redis.exceptions import RedisError

        try:
            released = await self._delete(keys=[self.key(held.conversation_id)], args=[held.token])
        except RedisError as error:
            logger.warning("Could not release the lock of conversation %s (it ends by itself): %s", held.conversation_id, error)
            return
        if not released:
            logger.error(
                "LOCK LOST for conversation %s (token %s): it had ended or was another turn's when the turn finished.",
                held.conversation_id,
                held.token,
            )
