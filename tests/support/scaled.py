"""Start `make run-scaled`'s processes (tooling/scaled.py) on free ports for a test, and act on them: each
program's pid through supervisorctl, SIGKILL of a program's whole process group, waiting for its restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from core.config import ROOT
from tests.support import system as system_support
from tests.support.ports import free_run
from tests.support.system import interrupt, prepare_index
from tests.support.web import API_KEYS_SETTING
from tooling.training import ensure_model

HAPROXY = "/usr/sbin/haproxy"
READY_TIMEOUT = 240


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@dataclass
class ScaledSystem:
    public: str
    ports: dict[str, int]
    database_url: str
    log: Path
    run_dir: Path
    ready_s: float

    def gateway(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports['GATEWAY_PORT'] + i}"

    def rasa(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports['RASA_PORT'] + i - 1}"

    def actions(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports['ACTION_PORT'] + i - 1}"

    def probe(self, program: str) -> str:
        """The URL that answers 200 once `program` ("rasa1", "actions2", "gateway1") serves again."""
        kind, i = program[:-1], int(program[-1])
        return {"rasa": f"{self.rasa(i)}/", "actions": f"{self.actions(i)}/health", "gateway": f"{self.gateway(i)}/livez"}[kind]

    def every_probe(self) -> list[str]:
        return [f"{self.public}/readyz", *(self.probe(f"{kind}{i}") for kind in ("rasa", "actions", "gateway") for i in (1, 2))]

    def ctl(self, *args: str) -> str:
        done = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "supervisorctl"), "-c", str(self.run_dir / "supervisord.conf"), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.stdout.strip()

    def pid(self, program: str) -> int:
        return int(self.ctl("pid", program))

    def kill(self, program: str, pid: int | None = None) -> int:
        """SIGKILL the program's process group, as a crash would; supervisord restarts it. Returns the pid killed."""
        pid = pid or self.pid(program)
        os.killpg(pid, signal.SIGKILL)  # supervisord starts each program in a process group of its own
        return pid

    def wait_restarted(self, program: str, old_pid: int, timeout: float = READY_TIMEOUT) -> float:
        """Poll until supervisord runs `program` under a new pid and its probe answers; the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            try:
                pid = self.pid(program)
            except ValueError:  # not running yet
                pid = 0
            if pid and pid != old_pid and answers(self.probe(program)):
                return time.monotonic() - started
            time.sleep(0.5)
        raise RuntimeError(f"{program} did not come back within {timeout} s:\n{self.log.read_text()[-3000:]}")


def start_scaled(
    workdir: Path,
    model: str,
    database_url: str,
    instances: int,
    extra_env: dict[str, str],
    redis_url: str = "redis://127.0.0.1:6379/2",
    rasa_api: bool = False,
) -> tuple[subprocess.Popen, dict[str, int], Path]:
    """Launch tooling.scaled with `instances` of each process on free ports, files in `workdir`, without waiting
    for it: its process (Ctrl-C stops it: tests/support/system.interrupt), its ports, its log. Shared by the
    scaled tests and the scale-out benchmark (benchmarks/scaled.py), so both run the same set-up."""
    ports = {"GATEWAY_PORT": free_run(instances + 1), "RASA_PORT": free_run(instances), "ACTION_PORT": free_run(instances)}
    env = dict(
        os.environ,
        **{k: str(v) for k, v in ports.items()},
        GATEWAY_HOST="127.0.0.1",
        ASSISTANT_VAR_DIR=str(workdir),
        ASSISTANT_INDEX_DIR=str(prepare_index()),
        ASSISTANT_DATABASE_URL=database_url,
        ASSISTANT_RATELIMIT_STORAGE=redis_url,
        ASSISTANT_API_KEYS=API_KEYS_SETTING,  # the caller talks as an integration that names its senders
    )
    env.update(extra_env)
    log = workdir / "scaled.log"
    command = [sys.executable, "-m", "tooling.scaled", model, "--ready-timeout", "0", "--instances", str(instances)]
    process = subprocess.Popen(
        command + (["--rasa-api"] if rasa_api else []),
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, ports, log


@contextmanager
def running_scaled(
    workdir: Path, database_url: str, extra_env: dict[str, str] | None = None, rasa_api: bool = False
) -> Iterator[ScaledSystem]:
    """tooling.scaled on free ports, files in `workdir`, until every server answers; stopped with Ctrl-C after."""
    if not os.path.exists(HAPROXY):
        raise RuntimeError("HAProxy is not installed: run `make test-scaled`, which installs it")
    if not system_support.STARTING_ALLOWED:
        raise RuntimeError("this test starts the assistant's processes: mark it `system`")
    started = time.monotonic()
    process, ports, log = start_scaled(
        workdir, str(ensure_model(ROOT / "var" / "models")), database_url, 2, dict(extra_env or {}), rasa_api=rasa_api
    )
    system = ScaledSystem(f"http://127.0.0.1:{ports['GATEWAY_PORT']}", ports, database_url, log, workdir / "run-scaled", 0.0)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not all(answers(url) for url in system.every_probe()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"run-scaled not ready:\n{log.read_text()[-5000:]}")
            time.sleep(1)
        system.ready_s = time.monotonic() - started
        yield system
    finally:
        interrupt(process, timeout=60)
