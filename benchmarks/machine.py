"""What the numbers were measured on, and how busy the machine was meanwhile."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

from core.config import ROOT


def _first(path: str, prefix: str) -> str:
    for line in Path(path).read_text().splitlines():
        if line.startswith(prefix):
            return line.split(":", 1)[1].strip()
    return "unknown"


def _python_version(python: Path) -> str:
    try:
        return subprocess.run([str(python), "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "not found"


def describe() -> dict[str, str]:
    memory_kb = int(_first("/proc/meminfo", "MemTotal").split()[0])
    return {
        "cores (nproc)": str(os.cpu_count()),
        "memory": f"{memory_kb / 1024 / 1024:.1f} GiB",
        "CPU": _first("/proc/cpuinfo", "model name"),
        "Python (app, .venv)": _python_version(ROOT / ".venv" / "bin" / "python"),
        "Python (Rasa, .venv-rasa)": _python_version(ROOT / ".venv-rasa" / "bin" / "python"),
        "kernel": os.uname().release,
    }


def load_averages() -> tuple[float, float, float]:
    """1-, 5- and 15-minute load averages (runnable processes; above the core count, some wait for a CPU)."""
    one, five, fifteen = (float(v) for v in Path("/proc/loadavg").read_text().split()[:3])
    return one, five, fifteen


def load_average() -> float:
    return load_averages()[0]


class LoadMonitor:
    """Samples the load average in the background, so each section can say how busy the machine was."""

    def __init__(self, every: float = 5.0):
        self.every = every
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), load_average()))
            self._stop.wait(self.every)

    def __enter__(self) -> LoadMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def between(self, start: float, end: float) -> list[float]:
        return [load for at, load in self.samples if start <= at <= end] or [load_average()]
