"""Start the real assistant (Rasa, action server, gateway) the way `make run` does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from core.config import ROOT
from core.storage.migrate import upgrade
from knowledge.build import build, is_current
from knowledge.languages import index_dir, with_texts
from tests.support.ports import free_port
from tests.support.web import API_KEYS_SETTING, integration_headers
from tooling.training import ensure_model

READY_TIMEOUT = 300
# Set by tests/conftest.py for each test run: False when the run selected no test marked `system`, so a test
# that would train or start Rasa without the marker fails at once instead of slipping into `make unit`.
STARTING_ALLOWED = True


@dataclass
class RunningSystem:
    gateway: str
    rasa: str
    actions: str
    database_url: str
    env: dict
    process: subprocess.Popen
    log_path: Path
    launched_at: float = 0.0  # time.monotonic() when the launcher was started

    @property
    def supervisor_config(self) -> Path:
        return Path(self.env["ASSISTANT_VAR_DIR"]) / "run" / "supervisord.conf"

    def ctl(self, *args: str) -> str:
        """supervisorctl for this system: "pid actions", "stop rasa", "start rasa"."""
        done = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "supervisorctl"), "-c", str(self.supervisor_config), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.stdout.strip()

    def pid(self, program: str) -> int:
        return int(self.ctl("pid", program))

    def wait_healthy(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.gateway}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"not healthy again after {timeout} s")

    def chat(self, sender: str, message: str, language: str | None = None) -> dict:
        """One turn, as a keyed integration; `language` as the widget sends its page's language."""
        body = {"sender": sender, "message": message, **({"language": language} if language else {})}
        response = requests.post(f"{self.gateway}/api/chat", json=body, headers=integration_headers(), timeout=60)
        response.raise_for_status()
        return response.json()

    def warm_up(self, sender: str, timeout: float = 120) -> None:
        """The action server loads its sentence-embedding model on the first question, which can take longer
        than the gateway waits for Rasa: ask until a real answer comes, so no test gets the cold start."""
        deadline = time.monotonic() + timeout
        while self.chat(sender, "what is embolization?")["messages"][0]["route"] != "answer":
            assert time.monotonic() < deadline, "the assistant never answered a plain question"
            time.sleep(2)


def prepare_index() -> Path:
    """The index `make knowledge` keeps in var/index, rebuilt if the texts changed (the benchmarks use it;
    the tests build their own, tests/conftest.py)."""
    texts, index = ROOT / "knowledge" / "texts", ROOT / "var" / "index"
    for language in with_texts(texts):
        if not is_current(texts, index_dir(index, language), language):
            build(texts, index_dir(index, language), language)
    return index


def launch_system(
    workdir: Path, database_url: str | None = None, extra_env: dict[str, str] | None = None, log_mode: str = "a", index: Path | None = None
) -> RunningSystem:
    """Launch everything with its files in `workdir`, without waiting for it to be ready.

    The Rasa model is the one `make model` trains into var/models (trained here if missing); the knowledge
    index is `index`, or var/index.
    """
    if not STARTING_ALLOWED:
        raise RuntimeError("this test starts the assistant's processes: mark it `system` (see tests/conftest.py)")
    model = ensure_model(ROOT / "var" / "models")
    index = index or prepare_index()
    database_url = database_url or f"sqlite:///{workdir / 'assistant.db'}"
    upgrade(database_url)
    ports = {"RASA_PORT": free_port(), "ACTION_PORT": free_port(), "GATEWAY_PORT": free_port()}
    env = dict(
        os.environ,
        **{k: str(v) for k, v in ports.items()},
        GATEWAY_HOST="127.0.0.1",
        ASSISTANT_VAR_DIR=str(workdir),
        ASSISTANT_INDEX_DIR=str(index),
        ASSISTANT_DATABASE_URL=database_url,
        TRACKER_DB=str(workdir / "tracker.db"),
        ASSISTANT_API_KEYS=API_KEYS_SETTING,  # chat() talks to the API as an integration naming its senders
        **(extra_env or {}),
    )
    if "ASSISTANT_INTERNAL_TOKEN" not in (extra_env or {}):
        # The embedded set-up (endpoints.yml): Rasa would not send the token the action server would then require.
        env.pop("ASSISTANT_INTERNAL_TOKEN", None)
    log_path = workdir / "system.log"
    launched_at = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "tooling.launcher", str(model), "--ready-timeout", "0"],
        cwd=ROOT,
        env=env,
        stdout=log_path.open(log_mode),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return RunningSystem(
        gateway=f"http://127.0.0.1:{ports['GATEWAY_PORT']}",
        rasa=f"http://127.0.0.1:{ports['RASA_PORT']}",
        actions=f"http://127.0.0.1:{ports['ACTION_PORT']}",
        database_url=database_url,
        env=env,
        process=process,
        log_path=log_path,
        launched_at=launched_at,
    )


def start_system(
    workdir: Path, database_url: str | None = None, index: Path | None = None, extra_env: dict[str, str] | None = None
) -> RunningSystem:
    """Start everything with its files in `workdir` (the same workdir again = a restart) and wait until healthy."""
    # Appended log: a restart keeps the first run's log.
    system = launch_system(workdir, database_url, extra_env, index=index)
    process, log_path = system.process, system.log_path
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the assistant exited while starting:\n{log_path.read_text()[-4000:]}")
        try:
            if requests.get(f"{system.gateway}/healthz", timeout=2).status_code == 200:
                return system
        except requests.RequestException:
            pass
        time.sleep(1)
    stop_system(system)
    raise RuntimeError(f"the assistant was not healthy after {READY_TIMEOUT} s:\n{log_path.read_text()[-4000:]}")


def interrupt(process: subprocess.Popen, timeout: float) -> None:
    """Ctrl-C to a launcher's process group, as a person would (supervisord stops its programs); killed if it has not
    stopped after `timeout` seconds."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def stop_system(system: RunningSystem) -> None:
    """Ctrl-C, as a person would; supervisord stops the three processes."""
    interrupt(system.process, timeout=30)
