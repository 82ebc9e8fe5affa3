"""What the rate-limit storage (Settings.ratelimit_storage) implies: for the gateway's limiter and gunicorn's settings.

A module of its own, outside the gateway package: gunicorn's master process
imports it, and importing anything in `assistant.gateway` imports the whole app.
"""

from __future__ import annotations

# A Redis that does not answer fails a request's limit check after this long instead of holding it (redis-py
# waits without limit by default); the limiter then counts in memory (assistant/gateway/security.py).
REDIS_TIMEOUT_SECONDS = 0.5


def shares_counts(storage_uri: str) -> bool:
    """Whether several processes see the same counts (memory:// is one process's own)."""
    return not storage_uri.startswith("memory://")


def storage_options(storage_uri: str) -> dict[str, float]:
    """Connection options for the storage's client: time limits for Redis (plain, TLS, socket, sentinel, cluster)."""
    if storage_uri.split(":", 1)[0].split("+")[0] in ("redis", "rediss", "valkey", "valkeys"):
        return {"socket_connect_timeout": REDIS_TIMEOUT_SECONDS, "socket_timeout": REDIS_TIMEOUT_SECONDS}
    return {}
