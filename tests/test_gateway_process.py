"""The gateway as the Procfile runs it: gunicorn, its settings module, real connections.

Rate limits are counted per process when the counts are in memory, so these
tests go through the real server rather than Flask's test client: one worker by
default, and several only when they share their counts in Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid

import pytest
import redis
import requests

from assistant.config import ROOT
from assistant.launcher import procfile_commands
from tests.support.ports import free_port

pytestmark = pytest.mark.system  # starts gunicorn

REDIS_URL = "redis://127.0.0.1:6379/5"
LIMIT = 5


@pytest.fixture
def gateway_env(database_url, fake_rasa, fake_actions, tmp_path) -> dict[str, str]:
    fake_rasa.reply = [{"recipient_id": "x", "text": "You're welcome."}]
    return dict(os.environ, APP_BIN=str(ROOT / ".venv" / "bin"), GATEWAY_HOST="127.0.0.1",
                GATEWAY_PORT=str(free_port()), RASA_URL=fake_rasa.url, ACTION_SERVER_URL=fake_actions.url,
                ASSISTANT_DATABASE_URL=database_url, ASSISTANT_VAR_DIR=str(tmp_path),
                ASSISTANT_RATE_LIMIT_PER_SENDER=f"{LIMIT} per minute")


def start_gateway(env: dict[str, str]) -> subprocess.Popen:
    command = procfile_commands((ROOT / "Procfile").read_text(), env)["gateway"]
    return subprocess.Popen(command, shell=True, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def wait_for_answers(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the gateway exited:\n{process.stdout.read()}")
        try:
            requests.get(f"{url}/healthz", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError("the gateway did not answer")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def flood(env: dict[str, str], count: int) -> list[int]:
    """Start the gateway and send `count` messages from one sender, each on a new connection (as a script
    hitting the API would); their HTTP statuses."""
    process = start_gateway(env)
    url, sender = f"http://127.0.0.1:{env['GATEWAY_PORT']}", f"flood-{uuid.uuid4().hex}"
    try:
        wait_for_answers(url, process)
        return [requests.post(f"{url}/api/chat", json={"sender": sender, "message": "thanks"},
                              headers={"Connection": "close"}, timeout=10).status_code for _ in range(count)]
    finally:
        stop(process)


def test_gunicorns_master_process_does_not_import_the_app():
    # The master reads the settings module; each worker imports the app itself. A master that imported it too
    # would hold it in memory for nothing and hand the old code to the workers a HUP reload starts.
    command = procfile_commands((ROOT / "Procfile").read_text(), {"APP_BIN": "."})["gateway"]
    settings_module = command.split("--config python:")[1].split()[0]
    probe = (f"import sys, {settings_module}; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'flask_limiter') "
             "or m == 'assistant.gateway' or m.startswith('assistant.gateway.')))")
    imported = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", probe], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    assert imported == "[]"


def test_a_senders_limit_holds_across_the_gateways_connections(gateway_env):
    assert flood(gateway_env, 3 * LIMIT) == [200] * LIMIT + [429] * (2 * LIMIT)


def test_several_workers_with_counts_in_memory_refuse_to_start(gateway_env):
    process = start_gateway(dict(gateway_env, GATEWAY_WORKERS="2"))
    try:
        output, _ = process.communicate(timeout=60)
    finally:
        stop(process)
    assert process.returncode != 0
    assert "GATEWAY_WORKERS=2 needs rate-limit counts the workers share" in output
    assert "ASSISTANT_RATELIMIT_STORAGE=redis://" in output


def test_several_workers_sharing_counts_in_redis_hold_a_senders_limit(gateway_env):
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis server answers at {REDIS_URL}: {exc}")
    statuses = flood(dict(gateway_env, GATEWAY_WORKERS="3", ASSISTANT_RATELIMIT_STORAGE=REDIS_URL), 3 * LIMIT)
    assert statuses == [200] * LIMIT + [429] * (2 * LIMIT)
