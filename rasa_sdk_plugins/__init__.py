"""rasa-sdk's plugin hook: the action server imports this package by name when it starts
(rasa_sdk/plugin.py) and lets it add routes to its Sanic app before serving.

It adds the early-retrieval route (actions/early_retrieval.py). The action server
finds the package because it runs in the project folder (Procfile).
"""

from __future__ import annotations

import pluggy
from sanic import Sanic

hookimpl = pluggy.HookimplMarker("rasa_sdk")


class ActionServerRoutes:
    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        from actions import early_retrieval, services

        early_retrieval.register(app, services.early_retrieval)


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(ActionServerRoutes())
