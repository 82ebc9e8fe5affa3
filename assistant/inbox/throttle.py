"""Sign-in throttling per user name and address, with a delay that doubles with each wrong password.

A lock-out per user name would let anyone lock the real user out by typing wrong passwords from several
addresses; keyed by name and address, only the one guessing waits (OWASP ASVS 2.2.1). The first few mistakes
cost nothing; then each wrong password makes the next attempt from that address for that name wait 1, 2, 4...
seconds, at most MAX_WAIT, until a sign-in succeeds or FAILURES_KEPT passes without one. While waiting, an
attempt is refused without checking the password. The counts live in the rate limiter's storage (`storage`,
a `limits` storage: Redis when configured, so every gateway process sees them); if it cannot be reached,
sign-in is not throttled rather than refused (the per-address limit still applies).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

log = logging.getLogger(__name__)
FREE_FAILURES = 4
MAX_WAIT = 15 * 60
FAILURES_KEPT = 24 * 60 * 60


def now() -> float:
    return time.time()


def _key(username: str, address: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}\n{address}".encode()).hexdigest()[:32]
    return f"login-failures:{digest}"


def seconds_to_wait(storage, username: str, address: str) -> int:
    """How long this name from this address must wait before the next attempt; 0 when it may try now."""
    key = _key(username, address)
    try:
        failures = storage.get(key)
        if failures <= FREE_FAILURES or not storage.get(f"{key}:{failures}"):
            return 0
        return max(1, math.ceil(storage.get_expiry(f"{key}:{failures}") - now()))
    except Exception as exc:  # the storage is down: not throttled (logged)
        log.warning("sign-in throttle unavailable (%s)", exc.__class__.__name__)
        return 0


def failed(storage, username: str, address: str) -> None:
    key = _key(username, address)
    try:
        failures = storage.incr(key, FAILURES_KEPT)
        if failures > FREE_FAILURES:
            storage.incr(f"{key}:{failures}", min(2 ** (failures - FREE_FAILURES - 1), MAX_WAIT))
    except Exception as exc:
        log.warning("sign-in throttle unavailable (%s)", exc.__class__.__name__)


def succeeded(storage, username: str, address: str) -> None:
    try:
        storage.clear(_key(username, address))
    except Exception as exc:
        log.warning("sign-in throttle unavailable (%s)", exc.__class__.__name__)
