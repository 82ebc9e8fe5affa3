"""Security headers on every response and the shared rate limiter."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from assistant.rate_limit_storage import rate_limit_storage, storage_options

# When the shared storage (Redis) is down, each process counts in its own memory, with the same limits, until the
# storage answers again (checked at growing intervals), and any storage error left lets the request through: a
# patient, above all one with an emergency, is never refused because the counts cannot be reached (without them a
# storage error answered 500 before the red-flag check could run).
limiter = Limiter(
    key_func=get_remote_address,
    storage_uri=rate_limit_storage(),
    storage_options=storage_options(rate_limit_storage()),
    default_limits=[],
    headers_enabled=True,
    in_memory_fallback_enabled=True,
    swallow_errors=True,
)

# Pages use external scripts and styles only; nothing inline.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def register(app: Flask) -> None:
    limiter.init_app(app)

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cache-Control", "no-store")
        return response
