"""GET /healthz: each dependency's state, 200 only when all are usable."""

from __future__ import annotations

import requests
from flask import Blueprint, current_app, jsonify

from knowledge.build import is_current

bp = Blueprint("health", __name__)


def _database() -> str:
    try:
        current_app.extensions["db"].ping()
    except Exception as exc:  # reported, not raised: this page exists to say what is wrong
        return f"unreachable ({exc.__class__.__name__})"
    backlog = current_app.extensions["spool"].backlog()
    return "ok" if not backlog else f"ok, {backlog} write(s) waiting to be replayed"


def _action_server() -> str:
    url = current_app.config["SETTINGS"].action_server_url
    try:
        ok = requests.get(f"{url}/health", timeout=2).status_code == 200
    except requests.RequestException:
        ok = False
    return "ok" if ok else "unreachable"


def _index() -> str:
    settings = current_app.config["SETTINGS"]
    return "ok" if is_current(settings.knowledge_dir, settings.index_dir) else "missing or out of date"


@bp.get("/healthz")
def healthz():
    checks = {
        "database": _database(),
        "rasa": "ok" if current_app.extensions["rasa"].healthy() else "unreachable",
        "action_server": _action_server(),
        "knowledge_index": _index(),
    }
    healthy = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ok" if healthy else "degraded", "checks": checks}), 200 if healthy else 503
