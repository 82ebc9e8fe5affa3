"""Writes that could not reach the database, kept in a file on this machine: the last resort of
core/storage/pending_writes.py, used when the shared queue (Redis) is not configured (the embedded set-up) or
cannot be reached either.

One JSON object per line, appended and flushed to disk before the patient is answered; nothing is lost across
a restart. A file is only seen by the gateways of its machine: pending_writes.py moves it into the shared
queue as soon as Redis answers. Every gateway process of the machine (gunicorn's workers, several gateways on
one var/) appends to and drains the same file, so both hold a lock file beside it: without it, an entry
appended while another process drained was removed with the drained ones, unwritten.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

log = logging.getLogger(__name__)


class Spool:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._threads = threading.Lock()
        self._processes = FileLock(self.path.with_name(self.path.name + ".lock"), thread_local=False)

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """This process's threads, then the machine's other processes."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._threads, self._processes:
            yield

    def put(self, entry: dict) -> None:
        with self._lock(), self.path.open("a", encoding="utf-8") as spool:
            spool.write(json.dumps(entry, ensure_ascii=False) + "\n")
            spool.flush()
            os.fsync(spool.fileno())

    def backlog(self) -> int:
        try:
            with self.path.open(encoding="utf-8") as spool:
                return sum(1 for line in spool if line.strip())
        except FileNotFoundError:
            return 0

    def drain(self, apply: Callable[[dict], object]) -> int:
        """Give each entry, in order, to `apply`; remove those it took; stop at the first that raises (kept, with
        every entry after it, so the order holds). Returns how many were taken."""
        with self._lock():
            if not self.path.exists():
                return 0
            entries = [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
            done = 0
            for entry in entries:
                try:
                    apply(entry)
                except Exception as exc:
                    log.warning("%d write(s) kept in the local spool (%s)", len(entries) - done, exc.__class__.__name__)
                    break
                done += 1
            remaining = entries[done:]
            if remaining:
                self.path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in remaining), encoding="utf-8")
            else:
                self.path.unlink()
            return done
