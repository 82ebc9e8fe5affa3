"""The gateway: the only public entry (chat API, channels, health)."""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from assistant import inbox
from assistant.early_retrieval import EarlyRetrieval
from assistant.gateway import channels_twilio, channels_whatsapp, chat_api, cors, errors, health, security, widget
from assistant.rasa_client import RasaClient
from assistant.turns import TurnHandler
from core import log_privacy
from core.config import Settings
from core.storage.database import Database
from core.storage.pending_writes import PendingWrites
from core.storage.spool import Spool


def create_app(settings: Settings | None = None, test_config: dict | None = None) -> Flask:
    settings = settings or Settings.from_env()
    settings.check_internal_token()
    if settings.mode == "production" and settings.site.example:
        raise RuntimeError(f"production mode refuses to start: {settings.site_path} still holds the example values")
    app = Flask(__name__)
    app.config.update(
        SETTINGS=settings,
        MAX_MESSAGE_CHARS=settings.max_message_chars,
        # Far above any legitimate chat message, small enough to refuse floods early.
        MAX_CONTENT_LENGTH=16 * 1024,
        RATE_LIMIT_PER_SENDER=settings.rate_limit_per_sender,
        RATE_LIMIT_PER_ADDRESS=settings.rate_limit_per_address,
        RATE_LIMIT_POLLING=settings.rate_limit_polling,
        JSON_SORT_KEYS=False,
    )
    if test_config:
        app.config.update(test_config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log_privacy.install()

    db = Database(settings.database_url, settings.sqlite)
    rasa = RasaClient(settings.rasa_url, settings.rasa_timeout, headers=settings.internal_headers)
    app.extensions["db"] = db
    app.extensions["rasa"] = rasa
    # Writes made while the database is down (core/storage/pending_writes.py); /readyz reports their backlog.
    app.extensions["spool"] = PendingWrites(
        Spool(settings.var_dir / "spool" / "pending-writes.jsonl"), settings.pending_writes_redis, settings.pending_writes_key
    )
    app.extensions["turns"] = TurnHandler(
        db,
        rasa,
        settings.site,
        app.extensions["spool"],
        EarlyRetrieval(settings.action_server_url if settings.early_retrieval else None, headers=settings.internal_headers),
        settings.messages,
    )

    security.register(app)
    cors.register(app)
    # Blueprints: one line each.
    chat_api.register(app)  # and its rate limits
    app.register_blueprint(health.bp)
    app.register_blueprint(widget.bp)
    app.extensions["senders"] = {}  # the staff-reply sender of each channel that sends (assistant/delivery.py)
    channels_twilio.register(app)  # and its SMS / WhatsApp staff-reply senders
    channels_whatsapp.register(app)
    inbox.register(app)  # the secretariat inbox, its CSRF protection and staff CLI
    errors.register(app)
    if settings.behind_proxy:
        # Behind a TLS-terminating proxy: trust its X-Forwarded-For/-Proto (one hop),
        # so rate limits see the patient's address and the app knows it is HTTPS.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    return app
