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
from urllib3.exceptions import ConnectTimeoutError, HTTPError, MaxRetryError, NewConnectionError

from assistant.routing import preference

# Like requests: a failed call is not sent again (a POST is a patient's message).
NO_RETRIES = urllib3.Retry(total=0, read=False, redirect=False)


class RasaUnavailable(RuntimeError):
    """Rasa did not answer, answered with an error, or answered nothing."""


class RasaClient:
    """One Rasa server, or several (`base_url` "http://a:5005,http://b:5005"): each conversation goes to one of
    them by a hash of its sender (assistant/routing.py), to the next in its order only if that one refuses the
    connection (then the message was never sent, so sending it elsewhere cannot answer it twice)."""

    def __init__(self, base_url: str, timeout: float, connections: int = 8, headers: dict[str, str] | None = None):
        self.base_urls = [url.strip().rstrip("/") for url in base_url.split(",") if url.strip()]
        self.base_url = self.base_urls[0]
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json", **(headers or {})}
        self._pool = urllib3.PoolManager(maxsize=connections, retries=NO_RETRIES)

    def server_for(self, sender_id: str) -> str:
        return self.base_urls[preference(sender_id, len(self.base_urls))[0]]

    def send(self, sender_id: str, text: str, metadata: dict | None = None) -> list[dict]:
        body = json.dumps({"sender": sender_id, "message": text, "metadata": metadata or {}})
        order = [self.base_urls[i] for i in preference(sender_id, len(self.base_urls))]
        for position, base_url in enumerate(order):
            try:
                response = self._pool.request(
                    "POST", f"{base_url}/webhooks/rest/webhook", body=body, headers=self.headers, timeout=self.timeout
                )
                break
            except HTTPError as exc:
                if _never_sent(exc) and position + 1 < len(order):
                    continue
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
        """At least one server answers (a conversation whose server is down moves to the next)."""
        return any(self._answers(url) for url in self.base_urls)

    def _answers(self, base_url: str) -> bool:
        try:
            return self._pool.request("GET", f"{base_url}/webhooks/rest/", headers=self.headers, timeout=2).status == 200
        except HTTPError:
            return False


def _never_sent(exc: HTTPError) -> bool:
    """The connection itself failed (refused, or not made in time): the server never saw the message."""
    reason = exc.reason if isinstance(exc, MaxRetryError) else exc
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _cause(exc: HTTPError) -> str:
    """The underlying error's name ("ReadTimeoutError", "NewConnectionError"), not the retry wrapper's."""
    reason = getattr(exc, "reason", None)
    return (reason or exc).__class__.__name__
