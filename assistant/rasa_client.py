"""Talking to the Rasa server's REST channel over loopback."""

from __future__ import annotations

import threading

import requests


class RasaUnavailable(RuntimeError):
    """Rasa did not answer, answered with an error, or answered nothing."""


class RasaClient:
    def __init__(self, base_url: str, timeout: float):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        # One keep-alive session per worker thread (requests.Session is not thread-safe).
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def send(self, sender_id: str, text: str, metadata: dict | None = None) -> list[dict]:
        try:
            response = self._session().post(
                f"{self.base_url}/webhooks/rest/webhook",
                json={"sender": sender_id, "message": text, "metadata": metadata or {}},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise RasaUnavailable(f"Rasa not reachable: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}")
        try:
            messages = response.json()
        except ValueError as exc:
            raise RasaUnavailable("Rasa answered something that is not JSON") from exc
        # Rasa's REST channel answers 200 with [] when an action failed inside it.
        if not isinstance(messages, list) or not messages:
            raise RasaUnavailable("Rasa answered no message")
        return messages

    def healthy(self) -> bool:
        try:
            return self._session().get(f"{self.base_url}/webhooks/rest/", timeout=2).status_code == 200
        except requests.RequestException:
            return False
