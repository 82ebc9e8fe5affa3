"""The local spool of writes shared by the gateway processes of one machine (core/storage/spool.py)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading

from core.config import ROOT
from core.storage.spool import Spool

ANOTHER_GATEWAY_PROCESS = "import sys; from core.storage.spool import Spool; Spool(sys.argv[1]).put({'id': 'written-meanwhile'})"


def test_an_entry_another_process_adds_while_this_one_drains_is_kept_not_removed_with_the_drained(tmp_path):
    path = tmp_path / "pending-writes.jsonl"
    spool = Spool(path)
    spool.put({"id": "first"})
    other = None
    drained: list[dict] = []

    def apply(entry: dict) -> None:
        """While this drain holds the first entry, another gateway process of the machine writes."""
        nonlocal other
        other = subprocess.Popen([sys.executable, "-c", ANOTHER_GATEWAY_PROCESS, str(path)], cwd=ROOT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            other.wait(timeout=2)  # without the lock it appends at once; with it, it waits for this drain
        drained.append(entry)

    draining = threading.Thread(target=spool.drain, args=(apply,))
    draining.start()
    draining.join(30)
    assert other is not None and other.wait(timeout=30) == 0
    assert drained == [{"id": "first"}]
    kept: list[dict] = []
    spool.drain(kept.append)
    assert kept == [{"id": "written-meanwhile"}]
