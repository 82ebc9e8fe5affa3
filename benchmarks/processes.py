"""The running assistant's processes: how long each takes to answer its health check, and its memory.

The system is started the way tests.support.system.start_system does (the
launcher and its supervisord, free loopback ports), but all three health URLs
are polled from the moment of launch, so each process gets its own cold-start time.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.support.system import RunningSystem, launch_system, stop_system

READY_TIMEOUT = 300
# Every benchmark conversation comes from 127.0.0.1: the gateway's per-address limit (meant for one household,
# or one flood) would refuse most of them; and a long conversation sends 60 messages from one sender in seconds,
# past the per-sender limit. Both limits are still checked on every request.
LOAD_TEST_ENV = {"ASSISTANT_RATE_LIMIT_PER_ADDRESS": "1000000 per minute", "ASSISTANT_RATE_LIMIT_PER_SENDER": "1000000 per minute"}
ROLES = ("rasa", "actions", "gateway", "launcher")


@dataclass
class ColdStart:
    """Seconds from launch: first HTTP answer of any status (the process is up), first 200 (healthy)."""

    first_answer_s: dict[str, float] = field(default_factory=dict)
    healthy_s: dict[str, float] = field(default_factory=dict)


def health_urls(system: RunningSystem) -> dict[str, str]:
    return {"rasa": f"{system.rasa}/webhooks/rest/", "actions": f"{system.actions}/health", "gateway": f"{system.gateway}/healthz"}


def launch(workdir: Path) -> tuple[RunningSystem, ColdStart]:
    system = launch_system(workdir, extra_env=LOAD_TEST_ENV, log_mode="w")
    process, log_path, launched = system.process, system.log_path, system.launched_at
    cold, urls = ColdStart(), health_urls(system)
    while len(cold.healthy_s) < len(urls) and time.monotonic() - launched < READY_TIMEOUT:
        if process.poll() is not None:
            raise RuntimeError(f"the assistant exited while starting:\n{log_path.read_text()[-4000:]}")
        for name, url in urls.items():
            if name in cold.healthy_s:
                continue
            try:
                status = requests.get(url, timeout=2).status_code
            except requests.RequestException:
                continue
            cold.first_answer_s.setdefault(name, time.monotonic() - launched)
            if status == 200:
                cold.healthy_s[name] = time.monotonic() - launched
        time.sleep(0.2)
    if len(cold.healthy_s) < len(urls):
        stop_system(system)
        raise RuntimeError(f"not healthy after {READY_TIMEOUT} s:\n{log_path.read_text()[-4000:]}")
    return system, cold


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[1])  # after "pid (name) state": the parent's pid


def descendants(root: int) -> list[int]:
    """`root` and every process below it, by walking /proc (psutil is not installed)."""
    children = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError):  # the process ended while we looked
                children[_parent(int(entry.name))].append(int(entry.name))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children[pid])
    return found


def role(pid: int) -> str:
    return role_of(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0"))


def role_of(argv: list[str]) -> str:
    """The kind of process a command line is: one of ROLES, "haproxy" or "other"."""
    command = " ".join(argv)
    # First: a shell wrapping a command carries that command in its own command line.
    if Path(argv[0]).name in ("sh", "bash", "dash") or any(m in command for m in ("tooling.launcher", "tooling.scaled", "supervisord")):
        return "launcher"
    if Path(argv[0]).name == "haproxy":
        return "haproxy"
    if "rasa_sdk" in command:
        return "actions"
    if "gunicorn" in command:
        return "gateway"
    # The Procfile starts Rasa through the project's entry point (`python -m rasa_addons.run run ...`).
    if ("rasa_addons.run" in argv or any(Path(arg).name == "rasa" for arg in argv)) and "run" in argv:
        return "rasa"
    return "other"


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0  # no user memory (a zombie)


def pids_by_role(launcher_pid: int) -> dict[str, set[int]]:
    """Compared at the start and the end of a run: a changed set means supervisord (or gunicorn) restarted something."""
    pids: dict[str, set[int]] = defaultdict(set)
    for pid in descendants(launcher_pid):
        with contextlib.suppress(OSError):
            pids[role(pid)].add(pid)
    return dict(pids)


def memory_by_role(launcher_pid: int) -> dict[str, tuple[float, int]]:
    """Resident MB and process count per role; gunicorn's master and workers are summed."""
    totals: dict[str, list] = defaultdict(lambda: [0.0, 0])
    for pid in descendants(launcher_pid):
        try:
            name, megabytes = role(pid), resident_mb(pid)
        except OSError:
            continue
        totals[name][0] += megabytes
        totals[name][1] += 1
    return {name: (mb, count) for name, (mb, count) in totals.items()}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far (OSError once it has ended)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def cpu_seconds_by_role(launcher_pid: int) -> dict[str, float]:
    """User + system CPU seconds used so far per role (gunicorn's master and workers summed), from /proc."""
    totals: dict[str, float] = defaultdict(float)
    for pid in descendants(launcher_pid):
        try:
            totals[role(pid)] += cpu_seconds(pid)
        except OSError:
            continue
    return dict(totals)


def cpu_seconds_by_pid(pids: list[int]) -> dict[int, float]:
    """CPU seconds so far of each pid still running."""
    found = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            found[pid] = cpu_seconds(pid)
    return found


def unhealthy(system: RunningSystem) -> list[str]:
    """The processes whose health check does not answer 200 now (a crash mid-run would show here)."""
    failing = []
    for name, url in health_urls(system).items():
        try:
            healthy = requests.get(url, timeout=5).status_code == 200
        except requests.RequestException:
            healthy = False
        if not healthy:
            failing.append(name)
    return failing


def logged_errors(log_path: Path) -> Counter:
    """ERROR records in the processes' output, by logger name (Rasa's, Python's and gunicorn's formats)."""
    return Counter(re.findall(r"\bERROR[\s:]+([A-Za-z_][\w.]*)", log_path.read_text(errors="replace")))
