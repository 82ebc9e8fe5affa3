"""Health: GET /livez (the process answers), GET /readyz (every dependency usable), GET /healthz (= /readyz).

- `/livez` checks nothing but that this process serves requests: an orchestrator restarts the gateway when it
  fails (a liveness probe), and nothing outside the process can make it fail, so a Rasa or database outage
  never restarts gateways that are answering patients safely meanwhile.
- `/readyz` checks the database, Rasa, the action server and the knowledge index, 200 only when all are usable
  (a readiness probe; a load balancer's health check). `/healthz` answers the same, for what already calls it.
  It reports the index and model this gateway sees (`artifacts`), and when scaled also checks that every
  action server serves the expected index (`same_index`) and every Rasa server has the expected model loaded
  (`same_model`; assistant/gateway/artifacts.py).
"""

from __future__ import annotations

import requests
from flask import Blueprint, current_app, jsonify

from assistant.gateway.artifacts import own_report, same_index, same_model
from knowledge.build import is_current

bp = Blueprint("health", __name__)


def _database() -> str:
    try:
        current_app.extensions["db"].ping()
    except Exception as exc:  # reported, not raised: this page exists to say what is wrong
        return f"unreachable ({exc.__class__.__name__})"
    backlog = current_app.extensions["spool"].backlog()
    return "ok" if not backlog else f"ok, {backlog} write(s) waiting to be replayed"


def _answers(url: str, headers: dict[str, str]) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=2, headers=headers).status_code == 200
    except requests.RequestException:
        return False


def _action_server() -> str:
    """ok when at least one action server answers (with several, as for Rasa's servers)."""
    settings = current_app.config["SETTINGS"]
    ok = any(_answers(url, settings.internal_headers) for url in settings.action_server_urls)
    return "ok" if ok else "unreachable"


def _index() -> str:
    settings = current_app.config["SETTINGS"]
    return "ok" if is_current(settings.knowledge_dir, settings.index_dir) else "missing or out of date"


def _readiness():
    checks = {
        "database": _database(),
        "rasa": "ok" if current_app.extensions["rasa"].healthy() else "unreachable",
        "action_server": _action_server(),
        "knowledge_index": _index(),
    }
    settings = current_app.config["SETTINGS"]
    artifacts = own_report(settings)
    if settings.scaled:
        checks["same_index"] = same_index(settings, artifacts["knowledge_index"]["hash"])
        checks["same_model"] = same_model(settings, artifacts["model"])
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "degraded", "checks": checks, "artifacts": artifacts}
    return jsonify(body), 200 if healthy else 503


@bp.get("/livez")
def livez():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    return _readiness()


@bp.get("/healthz")
def healthz():
    return _readiness()
