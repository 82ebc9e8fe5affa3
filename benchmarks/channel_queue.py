"""`python -m benchmarks.channel_queue SQLALCHEMY_URL [REDIS_URL]`: what the durable queues cost a message.

Times, per message, the webhook's store before its 200 (core/storage/channel_jobs.enqueue), a worker's claim
and its "done" (claim, finish), and a write queued while the database is down (XADD to the pending-writes
stream). The database must be migrated and is left with the jobs written; use a scratch one.
"""

from __future__ import annotations

import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory

from core.storage import channel_jobs
from core.storage.channel_jobs import NewJob
from core.storage.database import Database
from core.storage.pending_writes import PendingWrites
from core.storage.spool import Spool

ROUNDS = 200


def _median_ms(step: Callable[[int], object]) -> float:
    times = []
    for n in range(ROUNDS):
        started = time.perf_counter()
        step(n)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main(argv: list[str]) -> int:
    db = Database(argv[0])
    run = secrets.token_hex(4)
    held: list[channel_jobs.Job] = []

    def store(n: int) -> None:
        channel_jobs.enqueue(db, "bench", [NewJob("sms", f"+{run}{n}", f"{run}-{n}", {"text": "what is embolization?"})])

    def claim(n: int) -> None:
        job = channel_jobs.claim(db, "bench", 60)
        assert job is not None
        held.append(job)

    print(f"store before the 200: {_median_ms(store):.2f} ms")
    print(f"claim: {_median_ms(claim):.2f} ms")
    print(f"done: {_median_ms(lambda n: channel_jobs.finish(db, held[n], 'bench')):.2f} ms")
    if len(argv) > 1:
        with TemporaryDirectory() as folder:
            queue = PendingWrites(Spool(Path(folder) / "spool.jsonl"), argv[1], f"bench:pending-writes:{run}")
            payload = {"channel": "web", "sender": "p", "entries": [["patient", "what is embolization?", {}]]}
            print(f"queue a write (XADD): {_median_ms(lambda n: queue.put('messages', payload, 'web:p')):.2f} ms")
            assert queue._redis is not None
            queue._redis.delete(queue.key)
    db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
