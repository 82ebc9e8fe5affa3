"""GET /artifacts on the action server: the knowledge index it answers from (knowledge/artifacts.py).

A scaled gateway's /readyz compares it with the index it expects (assistant/gateway/artifacts.py), so an
action server left on another index version takes its gateways out of the load balancer. The route needs the
internal token like every other one but /health (rasa_sdk_plugins).
"""

from __future__ import annotations

from sanic import Request, Sanic, response

from core.config import Settings
from knowledge.artifacts import index_identity

ROUTE = "/artifacts"


def report(settings: Settings) -> dict:
    """What this action server reads from disk: its retrievers load the index in that folder, and reload it
    when it is rebuilt there."""
    return {"knowledge_index": index_identity(settings.knowledge_dir, settings.index_dir)}


def register(app: Sanic, settings: Settings) -> None:
    @app.get(ROUTE)
    async def artifacts(_: Request):
        return response.json(report(settings))
