"""rasa-sdk's plugin hook: the action server imports this package by name when it starts
(rasa_sdk/plugin.py) and lets it add routes to its Sanic app before serving.

It runs the action server's start (actions/startup.py: production mode's refusals, the index loaded in the
background), which importing the actions does not. It also adds the early-retrieval route
(actions/early_retrieval.py), the index report (actions/artifacts.py), and the check of the internal token:
when ASSISTANT_INTERNAL_TOKEN is set, every request but GET /health (an orchestrator's probe) must carry it in
X-Assistant-Token (Rasa sends it with each action call, the gateway with each hint and readiness check), and a
scaled set-up without it does not start (core/config.py, Settings.check_internal_token). The action server
finds the package because it runs in the project folder (Procfile).
"""

from __future__ import annotations

import hmac

import pluggy
from sanic import Sanic
from sanic.response import json as json_response

from core.config import INTERNAL_TOKEN_HEADER, Settings

hookimpl = pluggy.HookimplMarker("rasa_sdk")

# Probes and load balancers call this one without the token; it says nothing but "up".
OPEN_PATHS = frozenset({"/health"})


def allowed(method: str, path: str, sent: str | None, token: str) -> bool:
    """Whether a request may be served: no token configured, an open path, or the right token sent."""
    if not token or (method == "GET" and path in OPEN_PATHS):
        return True
    return sent is not None and hmac.compare_digest(sent.encode(), token.encode())


class ActionServerRoutes:
    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        from actions import artifacts, early_retrieval, services

        settings = Settings.from_env()
        settings.check_internal_token()
        token = settings.internal_token

        @app.middleware("request")
        async def internal_token(request):
            if not allowed(request.method, request.path, request.headers.get(INTERNAL_TOKEN_HEADER), token):
                return json_response({"error": "missing or wrong internal token"}, status=401)
            return None

        early_retrieval.register(app, services.early_retrieval)
        artifacts.register(app, settings)


class ActionServerStart:
    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        from actions import startup

        startup.start()


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(ActionServerStart())
    manager.register(ActionServerRoutes())
