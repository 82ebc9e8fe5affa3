"""The gateway as the Procfile runs it: gunicorn, its settings module, its waitress worker, real connections.

Rate limits are counted per process when the counts are in memory, so these
tests go through the real server rather than Flask's test client: one worker by
default, and several only when they share their counts in Redis.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import threading
import time
import uuid

import pytest
import redis
import requests

from core.config import ROOT
from tests.support.gateway_process import environment, gateway_command, start, stop, wait_for_answers
from tests.support.ports import free_port
from tests.support.web import integration_headers

pytestmark = pytest.mark.system  # starts gunicorn

REDIS_URL = "redis://127.0.0.1:6379/5"
LIMIT = 5


@pytest.fixture
def gateway_env(database_url, fake_rasa, fake_actions, tmp_path) -> dict[str, str]:
    fake_rasa.reply = [{"recipient_id": "x", "text": "You're welcome."}]
    return environment(database_url, fake_rasa.url, fake_actions.url, tmp_path, ASSISTANT_RATE_LIMIT_PER_SENDER=f"{LIMIT} per minute")


def flood(env: dict[str, str], count: int) -> list[int]:
    """Start the gateway and send `count` messages from one sender, each on a new connection (as a script
    hitting the API would); their HTTP statuses."""
    process = start(env)
    url, sender = f"http://127.0.0.1:{env['GATEWAY_PORT']}", f"flood-{uuid.uuid4().hex}"
    try:
        wait_for_answers(url, process)
        return [
            requests.post(
                f"{url}/api/chat",
                json={"sender": sender, "message": "thanks"},
                headers={"Connection": "close", **integration_headers()},
                timeout=10,
            ).status_code
            for _ in range(count)
        ]
    finally:
        stop(process)


def test_gunicorns_master_process_does_not_import_the_app():
    # The master reads the settings module and loads the worker class; each worker imports the app itself. A
    # master that imported it too would hold it in memory for nothing and hand the old code to the workers a HUP
    # reload starts.
    settings_module = gateway_command({"APP_BIN": "."}).split("--config python:")[1].split()[0]
    worker_module = importlib.import_module(settings_module).worker_class.rsplit(".", 1)[0]
    probe = (
        f"import sys, {settings_module}, {worker_module}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'flask_limiter') "
        "or m == 'assistant.gateway' or m.startswith('assistant.gateway.')))"
    )
    imported = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert imported == "[]"


def test_a_senders_limit_holds_across_the_gateways_connections(gateway_env):
    assert flood(gateway_env, 3 * LIMIT) == [200] * LIMIT + [429] * (2 * LIMIT)


def test_several_workers_with_counts_in_memory_refuse_to_start(gateway_env):
    process = start(dict(gateway_env, GATEWAY_WORKERS="2"))
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


def test_a_stopping_gateway_answers_the_turns_it_has_and_takes_no_new_ones(gateway_env, fake_rasa):
    # supervisord (and an orchestrator) stop the gateway with SIGTERM: a patient whose turn is under way still
    # gets the reply.
    fake_rasa.delay = 2
    process = start(gateway_env)
    url = f"http://127.0.0.1:{gateway_env['GATEWAY_PORT']}"
    replies: list[requests.Response] = []
    try:
        wait_for_answers(url, process)
        turn = threading.Thread(
            target=lambda: replies.append(
                requests.post(
                    f"{url}/api/chat",
                    json={"sender": f"stop-{uuid.uuid4().hex}", "message": "thanks"},
                    headers=integration_headers(),
                    timeout=10,
                )
            )
        )
        turn.start()
        while not fake_rasa.received:
            turn.join(0.05)
        os.killpg(process.pid, signal.SIGTERM)
        turn.join(10)
        process.wait(timeout=20)
    finally:
        stop(process)
    assert [r.status_code for r in replies] == [200]
    assert replies[0].json()["messages"][0]["text"] == "You're welcome."
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/healthz", timeout=2)


def chat(url: str, sender: str, message: str) -> requests.Response:
    return requests.post(
        f"{url}/api/chat", json={"sender": sender, "message": message}, headers={"Connection": "close", **integration_headers()}, timeout=10
    )


@pytest.fixture
def silent_redis():
    """A local port that accepts connections (the system does, from the listen backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


@pytest.mark.parametrize("storage", ["refused", "silent"])
def test_with_the_rate_limit_storage_down_emergencies_are_answered_and_limits_count_in_memory(gateway_env, storage, silent_redis):
    storage_url = silent_redis if storage == "silent" else f"redis://127.0.0.1:{free_port()}/0"
    process = start(dict(gateway_env, ASSISTANT_RATELIMIT_STORAGE=storage_url))
    url = f"http://127.0.0.1:{gateway_env['GATEWAY_PORT']}"
    try:
        wait_for_answers(url, process)
        started = time.monotonic()
        emergency = chat(url, f"down-{uuid.uuid4().hex}", "I can't breathe")
        emergency_took = time.monotonic() - started
        sender = f"down-{uuid.uuid4().hex}"
        statuses = [chat(url, sender, "thanks").status_code for _ in range(LIMIT + 1)]
    finally:
        stop(process)
    assert emergency.status_code == 200
    assert emergency.json()["messages"][0]["route"] == "urgent"
    assert emergency_took < 2, f"the emergency reply took {emergency_took:.1f} s"
    # Counted in the process's memory meanwhile: still limited, not waved through.
    assert statuses == [200] * LIMIT + [429]
