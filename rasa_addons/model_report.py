"""`GET /assistant/model` on the Rasa server: the model it has loaded, so that gateways can check every Rasa server
behind them serves the same one.

Rasa 3.6 names its loaded model only through its whole HTTP API (`--enable-api`, `GET /status`), which also lets
a caller replace the model or rewrite conversations; this one route says which model file and model id are loaded,
nothing more. It sits behind the internal token like every other route when the endpoints file asks for one
(rasa_addons/internal_auth.py). Nothing of Rasa is imported until `install` runs.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

PATH = "/assistant/model"


def describe(agent: Any) -> dict[str, str | None]:
    """The loaded model's file name and Rasa's model id (both None while no model is loaded)."""
    processor = getattr(agent, "processor", None)
    filename = getattr(processor, "model_filename", None)
    return {"model_file": Path(filename).name if filename else None, "model_id": getattr(agent, "model_id", None)}


def install() -> None:
    """Wrap rasa.core.run.configure_app so the Sanic app it makes also answers PATH (safe to call twice)."""
    from rasa.core import run

    from rasa_addons.rasa_version import IncompatibleRasa

    configure_app = getattr(run, "configure_app", None)
    if not callable(configure_app):
        raise IncompatibleRasa("rasa.core.run no longer has the configure_app that rasa_addons/model_report.py wraps")
    if getattr(configure_app, "reports_model", False):
        return

    @functools.wraps(configure_app)  # keeps the other fixes' marks (their `install` must see them)
    def configure_app_reporting_model(*args, **kwargs):
        from sanic.response import json as json_response

        app = configure_app(*args, **kwargs)

        @app.get(PATH)
        async def loaded_model(request):
            return json_response(describe(getattr(request.app.ctx, "agent", None)))

        return app

    configure_app_reporting_model.reports_model = True  # type: ignore[attr-defined]
    run.configure_app = configure_app_reporting_model
