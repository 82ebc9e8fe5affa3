"""Errors as JSON with a sentence saying what is wrong; never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from assistant.gateway.validation import BadRequest

log = logging.getLogger(__name__)


def register(app: Flask) -> None:
    @app.errorhandler(BadRequest)
    def bad_request(error: BadRequest):
        return jsonify({"error": str(error)}), error.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        site = app.config["SETTINGS"].site
        messages = {
            413: f"the request is too large: at most {app.config['MAX_CONTENT_LENGTH']} bytes",
            429: site.fill(
                "too many messages in a short time; please wait a minute and try again. "
                "If this is an emergency, call {emergency_number} now."
            ),
        }
        code = error.code or 500
        return jsonify({"error": messages.get(code, error.description or "")}), code

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error")
        return jsonify({"error": "something went wrong on our side; please try again or call the secretariat"}), 500
