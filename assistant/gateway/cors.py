"""Cross-origin access to the chat API, for the widget embedded on the hospital's own website.

Only origins listed in ASSISTANT_CORS_ORIGINS (comma-separated, e.g.
"https://www.example-hospital.org,https://intranet.example-hospital.org") may
call /api/* from a browser; by default none may, so only pages the gateway
serves itself can use the API. Nothing outside /api/* is opened up.

The widget sends no cookies (its conversation token, in a header, is its only key), so
credentials are never allowed, and the allowed origin is echoed back exactly,
never as "*".
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify, request

API_PREFIX = "/api/"
ALLOWED_METHODS = ("GET", "POST", "DELETE")
ALLOWED_HEADERS = ("content-type", "x-conversation-token")
# Browsers cache a successful preflight this long (seconds), sparing one round trip per message.
PREFLIGHT_MAX_AGE = 600


def parse_origins(raw: str) -> frozenset[str]:
    """'https://a.org, https://b.org/' -> {'https://a.org', 'https://b.org'} (scheme://host[:port], lower case)."""
    return frozenset(origin.strip().rstrip("/").lower() for origin in raw.split(",") if origin.strip())


def _allowed_origin() -> str | None:
    """The request's Origin if it is configured, else None."""
    origin = request.headers.get("Origin", "")
    if origin and origin.lower() in current_app.config["CORS_ORIGINS"]:
        return origin
    return None


def _is_api() -> bool:
    return request.path.startswith(API_PREFIX)


def register(app: Flask) -> None:
    app.config.setdefault("CORS_ORIGINS", parse_origins(app.config["SETTINGS"].cors_origins))

    @app.before_request
    def preflight():
        is_preflight = request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
        if not (is_preflight and _is_api()):
            return None
        origin = _allowed_origin()
        if origin is None:
            return jsonify({"error": "this website may not use the chat API: its origin is not in ASSISTANT_CORS_ORIGINS"}), 403
        method = request.headers["Access-Control-Request-Method"].strip().upper()
        headers = {h.strip().lower() for h in request.headers.get("Access-Control-Request-Headers", "").split(",") if h.strip()}
        if method not in ALLOWED_METHODS or not headers <= set(ALLOWED_HEADERS):
            allowed = f"{', '.join(ALLOWED_METHODS)} and the Content-Type and X-Conversation-Token headers"
            return jsonify({"error": f"cross-origin requests may use only {allowed}"}), 403
        response = app.response_class(status=204)
        response.headers["Access-Control-Allow-Methods"] = ", ".join(ALLOWED_METHODS)
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, X-Conversation-Token"
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        return response  # after_request below adds the origin

    @app.after_request
    def allow_origin(response):
        if not _is_api():
            return response
        # The answer differs by Origin, so caches must keep one copy per origin.
        response.vary.add("Origin")
        origin = _allowed_origin()
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            # Lets the widget read how long to wait after a 429.
            response.headers["Access-Control-Expose-Headers"] = "Retry-After"
        return response
