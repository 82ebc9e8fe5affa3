"""Slow or half-sent requests cannot stop the gateway (the real process, as the Procfile starts it).

A client that sends part of a request and goes silent must cost a socket, not
one of the threads that answer patients: while 50 such connections are held
open, /healthz and an emergency message are still answered within a second.
"""

from __future__ import annotations

import json
import socket
import time
import uuid

import pytest
import requests

from tests.support import gateway_process
from tests.support.web import API_KEY, integration_headers

SLOW_CONNECTIONS = 50
BODY_BYTES = 100
# An answer that waits for a free thread behind the slow connections takes far longer than this.
ANSWER_WITHIN = 1.0

pytestmark = pytest.mark.system  # starts the gateway under gunicorn, as the Procfile does


def partial_headers(_: int) -> bytes:
    return b"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl"


def complete_body(number: int) -> bytes:
    body = json.dumps({"sender": f"slow-{number}", "message": "thanks"})
    return (body[:-1] + " " * (BODY_BYTES - len(body)) + "}").encode()


def headers_of_a_body(number: int) -> bytes:
    return (
        f"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer {API_KEY}\r\n"
        f"Content-Length: {BODY_BYTES}\r\nConnection: close\r\n\r\n"
    ).encode()


def half_sent_body(number: int) -> bytes:
    return headers_of_a_body(number) + complete_body(number)[:1]


def hold_open(port: int, starts: list) -> list[socket.socket]:
    """One connection per entry of `starts`, each sent what its function gives and then left silent."""
    held = []
    for number, start in enumerate(starts):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(start(number))
        held.append(sock)
    return held


def timed(call) -> tuple[float, requests.Response | None]:
    started = time.monotonic()
    try:
        response = call()
    except requests.Timeout:
        response = None
    return time.monotonic() - started, response


@pytest.fixture
def gateway(database_url, fake_rasa, fake_actions, tmp_path, request):
    fake_rasa.reply = [{"recipient_id": "x", "text": "You're welcome."}]
    env = gateway_process.environment(database_url, fake_rasa.url, fake_actions.url, tmp_path)
    process = gateway_process.start(env, getattr(request, "param", ""))
    try:
        gateway_process.wait_for_answers(gateway_process.url(env), process)
        yield env
    finally:
        gateway_process.stop(process)


def test_health_and_an_emergency_are_answered_while_fifty_slow_connections_are_held(gateway):
    base_url, port = gateway_process.url(gateway), int(gateway["GATEWAY_PORT"])
    held = hold_open(port, [partial_headers, half_sent_body] * (SLOW_CONNECTIONS // 2))
    try:
        time.sleep(0.5)  # long enough for a server that gives each connection a thread to have given them all
        health_took, health = timed(lambda: requests.get(f"{base_url}/healthz", timeout=5))
        emergency_took, emergency = timed(
            lambda: requests.post(
                f"{base_url}/api/chat",
                json={"sender": f"patient-{uuid.uuid4().hex}", "message": "I can't breathe"},
                headers=integration_headers(),
                timeout=5,
            )
        )

        assert health is not None and set(health.json()["checks"]) >= {"database", "rasa"}, "no answer from /healthz"
        assert health_took < ANSWER_WITHIN, f"/healthz took {health_took:.2f} s"
        assert emergency is not None and emergency.status_code == 200, "no answer to the emergency message"
        assert emergency.json()["messages"][0]["route"] == "urgent"
        assert emergency_took < ANSWER_WITHIN, f"the emergency reply took {emergency_took:.2f} s"

        # A slow request that does arrive whole is answered, not lost.
        slow = held[1]
        slow.sendall(complete_body(1)[1:])
        slow.settimeout(10)
        assert slow.recv(4096).startswith(b"HTTP/1.1 200")
    finally:
        for sock in held:
            sock.close()


@pytest.mark.parametrize("gateway", ["--keep-alive 1"], indirect=True)
@pytest.mark.parametrize("start", [partial_headers, half_sent_body])
def test_a_connection_silent_mid_request_is_closed_after_the_read_timeout(gateway, start):
    [sock] = hold_open(int(gateway["GATEWAY_PORT"]), [start])
    try:
        sock.settimeout(10)
        started = time.monotonic()
        try:
            closed = sock.recv(4096) == b""
        except (TimeoutError, ConnectionResetError) as exc:
            closed = isinstance(exc, ConnectionResetError)
        took = time.monotonic() - started
    finally:
        sock.close()
    assert closed, "the gateway kept a silent half-sent request open"
    assert took < 5, f"closed only after {took:.1f} s with a read timeout of 1 s"
