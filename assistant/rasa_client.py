"""Talking to the Rasa server's REST channel over loopback.

urllib3's pool directly, not requests on top of it: the gateway calls Rasa on
every turn, and requests' per-call work (merging session settings, reading
proxy variables from the environment) cost more than the call itself
(docs/BENCHMARKS.md, "Measurements behind design choices"). The pool is
thread-safe and keeps the connections alive between turns.
"""

from __future__ import annotations

import json

import urllib3
from urllib3.exceptions import HTTPError

# Like requests: a failed call is not sent again (a POST is a patient's message).
NO_RETRIES = urllib3.Retry(total=0, read=False, redirect=False)


class RasaUnavailable(RuntimeError):
    """Rasa did not answer, answered with an error, or answered nothing."""


class RasaClient:
    def __init__(self, base_url: str, timeout: float, connections: int = 8):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._pool = urllib3.PoolManager(maxsize=connections, retries=NO_RETRIES)

    def send(self, sender_id: str, text: str, metadata: dict | None = None) -> list[dict]:
        body = json.dumps({"sender": sender_id, "message": text, "metadata": metadata or {}})
        try:
            response = self._pool.request(
                "POST",
                f"{self.base_url}/webhooks/rest/webhook",
                body=body,
                headers={"Content-Type": "application/json"},
                timeout=self.timeout,
            )
        except HTTPError as exc:
            raise RasaUnavailable(f"Rasa not reachable: {_cause(exc)}") from exc
        if response.status != 200:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
        try:
            messages = json.loads(response.data)
        except ValueError as exc:
            raise RasaUnavailable("Rasa answered something that is not JSON") from exc
        # Rasa's REST channel answers 200 with [] when an action failed inside it.
        if not isinstance(messages, list) or not messages:
            raise RasaUnavailable("Rasa answered no message")
        return messages

    def healthy(self) -> bool:
        try:
            return self._pool.request("GET", f"{self.base_url}/webhooks/rest/", timeout=2).status == 200
        except HTTPError:
            return False


def _cause(exc: HTTPError) -> str:
    """The underlying error's name ("ReadTimeoutError", "NewConnectionError"), not the retry wrapper's."""
    reason = getattr(exc, "reason", None)
    return (reason or exc).__class__.__name__
