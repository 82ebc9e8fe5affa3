"""The internal token on the Rasa server: every request but GET / must carry X-Assistant-Token.

Rasa's REST channel (`/webhooks/rest/webhook`) takes a message from anyone who can reach the port, and
Rasa's own `--auth-token` guards only its HTTP API, not the channels. When the endpoints file has an
`internal_auth` section (endpoints.scaled.yml: `token: ${ASSISTANT_INTERNAL_TOKEN}`), a request middleware
refuses, with 401, every request without that token. Rasa expands the variable itself and refuses to start
when it is not set, so a scaled Rasa cannot run without it; the same file sends it to the action server
(`action_endpoint.headers`). The embedded `endpoints.yml` has no such section: nothing changes for `make run`.

Nothing of Rasa is imported until `install` runs, so the gateway's environment can test `allowed`.
"""

from __future__ import annotations

import functools
import hmac

HEADER = "X-Assistant-Token"
SECTION = "internal_auth"
MIN_LENGTH = 32
# Rasa's "Hello from Rasa" page: probes call it without the token; it says nothing but "up".
OPEN_PATHS = frozenset({"/"})


def allowed(method: str, path: str, sent: str | None, token: str) -> bool:
    """Whether a request may be served: an open path, or the right token sent."""
    if method == "GET" and path in OPEN_PATHS:
        return True
    return sent is not None and hmac.compare_digest(sent.encode(), token.encode())


def endpoints_file(argv: list[str]) -> str:
    """The `--endpoints` argument of a `rasa run` command line (Rasa's default when absent)."""
    for position, argument in enumerate(argv):
        if argument == "--endpoints" and position + 1 < len(argv):
            return argv[position + 1]
        if argument.startswith("--endpoints="):
            return argument.split("=", 1)[1]
    return "endpoints.yml"


def configured_token(endpoints: str) -> str:
    """The `internal_auth` token of the endpoints file ("" without that section); too short a token stops Rasa."""
    from rasa.utils.endpoints import read_endpoint_config

    config = read_endpoint_config(endpoints, SECTION)
    token = (config.token or "") if config else ""
    if config and len(token) < MIN_LENGTH:
        raise ValueError(f"{endpoints}: {SECTION}.token (ASSISTANT_INTERNAL_TOKEN) must be at least {MIN_LENGTH} characters")
    return token


def install(argv: list[str]) -> None:
    """Wrap rasa.core.run.configure_app so the Sanic app it makes checks the token (when one is configured)."""
    from rasa.core import run

    from rasa_addons.rasa_version import IncompatibleRasa

    configure_app = getattr(run, "configure_app", None)
    if not callable(configure_app):
        raise IncompatibleRasa("rasa.core.run no longer has the configure_app that rasa_addons/internal_auth.py wraps")
    if getattr(configure_app, "checks_internal_token", False):
        return
    token = configured_token(endpoints_file(argv))
    if not token:
        return

    @functools.wraps(configure_app)  # keeps the other fixes' marks (their `install` must see them)
    def configure_app_checking_token(*args, **kwargs):
        from sanic.response import json as json_response

        app = configure_app(*args, **kwargs)

        @app.middleware("request")
        async def internal_token(request):
            if not allowed(request.method, request.path, request.headers.get(HEADER), token):
                return json_response({"error": "missing or wrong internal token"}, status=401)
            return None

        return app

    configure_app_checking_token.checks_internal_token = True  # type: ignore[attr-defined]
    run.configure_app = configure_app_checking_token
