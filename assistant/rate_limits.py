"""The app's rate limiter (flask-limiter), one per app in `app.extensions`, and the limits on its views.

No module-level limiter: each app the factory makes gets its own, with its own
settings' storage, and a blueprint's limits are applied when it is registered
(`limit`), exactly as flask-limiter's `@limiter.limit` decorator would.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from assistant.rate_limit_storage import shares_counts, storage_options
from core.config import Settings

EXTENSION = "rate_limiter"


def install(app: Flask, settings: Settings) -> Limiter:
    if settings.scaled and not shares_counts(settings.ratelimit_storage):
        raise RuntimeError(
            f"ASSISTANT_RATELIMIT_STORAGE={settings.ratelimit_storage} counts in this gateway process alone, and the "
            "assistant is scaled: every gateway would allow a sender the full limits. Set it to the shared Redis "
            "(for example redis://redis:6379/2)"
        )
    # When the shared storage (Redis) is down, each process counts in its own memory, with the same limits, until
    # the storage answers again (checked at growing intervals), and any storage error left lets the request
    # through: a patient, above all one with an emergency, is never refused because the counts cannot be reached
    # (without them a storage error answered 500 before the red-flag check could run).
    limiter = Limiter(
        get_remote_address,
        storage_uri=settings.ratelimit_storage,
        storage_options=storage_options(settings.ratelimit_storage),
        default_limits=[],
        headers_enabled=True,
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    return limiter


def limit(app: Flask, endpoint: str, limit_value: str | Callable[[], str], **options) -> None:
    """Limit the registered view `endpoint` (once per limit; options as `Limiter.limit`: key_func, methods, ...)."""
    limiter: Limiter = app.extensions[EXTENSION]
    app.view_functions[endpoint] = limiter.limit(limit_value, **options)(app.view_functions[endpoint])
