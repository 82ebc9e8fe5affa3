"""Writes that could not reach the database, kept on local disk and replayed later.

When the database is locked or unreachable the patient still gets an answer;
their message, the replies and any urgent ticket go to a spool file (one
JSON object per line) and are written to the database as soon as it answers
again. Nothing is lost across a restart: the spool is a file.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class Spool:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def put(self, kind: str, payload: dict) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as spool:
                spool.write(json.dumps({"kind": kind, "payload": payload}, ensure_ascii=False) + "\n")
                spool.flush()
                os.fsync(spool.fileno())

    def backlog(self) -> int:
        try:
            with self.path.open(encoding="utf-8") as spool:
                return sum(1 for line in spool if line.strip())
        except FileNotFoundError:
            return 0

    def replay(self, handlers: dict) -> int:
        """Apply spooled writes in order with `handlers[kind](**payload)`; keep what still fails."""
        with self._lock:
            if not self.path.exists():
                return 0
            entries = [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
            done = 0
            for entry in entries:
                try:
                    handlers[entry["kind"]](**entry["payload"])
                except Exception:
                    log.warning("database still unavailable; %d spooled write(s) kept", len(entries) - done)
                    break
                done += 1
            remaining = entries[done:]
            if remaining:
                self.path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in remaining), encoding="utf-8")
            else:
                self.path.unlink()
            return done
