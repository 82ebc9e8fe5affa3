"""Where the rate-limit counts live: read by the gateway's limiter and by gunicorn's settings before it starts.

A module of its own, outside the gateway package: gunicorn's master process
imports it, and importing anything in `assistant.gateway` imports the whole app.
"""

from __future__ import annotations

import os


def rate_limit_storage() -> str:
    """Redis when configured (several gateway processes share the counts), memory otherwise."""
    return os.environ.get("ASSISTANT_RATELIMIT_STORAGE", "memory://")


def shares_counts(storage_uri: str) -> bool:
    """Whether several processes see the same counts (memory:// is one process's own)."""
    return not storage_uri.startswith("memory://")
