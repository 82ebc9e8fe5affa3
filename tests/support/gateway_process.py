"""The gateway started as the Procfile starts it, on a free local port, for tests that need real connections."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import requests

from core.config import ROOT
from tests.support.ports import free_port
from tests.support.web import API_KEYS_SETTING
from tooling.launcher import procfile_commands


def environment(database_url: str, rasa_url: str, actions_url: str, var_dir, **extra: str) -> dict[str, str]:
    return dict(
        os.environ,
        APP_BIN=str(ROOT / ".venv" / "bin"),
        GATEWAY_HOST="127.0.0.1",
        GATEWAY_PORT=str(free_port()),
        RASA_URL=rasa_url,
        ACTION_SERVER_URL=actions_url,
        ASSISTANT_DATABASE_URL=database_url,
        ASSISTANT_VAR_DIR=str(var_dir),
        ASSISTANT_API_KEYS=API_KEYS_SETTING,  # the tests talk to the API as an integration naming its senders
        **extra,
    )


def gateway_command(env: dict[str, str]) -> str:
    return procfile_commands((ROOT / "Procfile").read_text(), env)["gateway"]


def start(env: dict[str, str], extra_args: str = "") -> subprocess.Popen:
    return subprocess.Popen(
        f"{gateway_command(env)} {extra_args}",
        shell=True,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def url(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env['GATEWAY_PORT']}"


def wait_for_answers(base_url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the gateway exited:\n{process.stdout.read()}")
        try:
            requests.get(f"{base_url}/healthz", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError("the gateway did not answer")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
