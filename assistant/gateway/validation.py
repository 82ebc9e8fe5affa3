"""Checking what a client sends before anything reaches the dialogue."""

from __future__ import annotations

import json
import re

from assistant.text_input import clean_text

SENDER = re.compile(r"[A-Za-z0-9_.:@+-]{1,128}")
# The page's language, as the widget reads it from its script tag or the page (BCP 47: "fr", "fr-BE", "es-419").
PAGE_LANGUAGE = re.compile(r"([A-Za-z]{2,3})(?:-[A-Za-z0-9]{1,8})*")
MAX_JSON_DEPTH = 4


class BadRequest(ValueError):
    """The request cannot be used; the message says why, for the client."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _depth(value, level: int = 1) -> int:
    if isinstance(value, dict):
        return max([level] + [_depth(v, level + 1) for v in value.values()])
    if isinstance(value, list):
        return max([level] + [_depth(v, level + 1) for v in value])
    return level


def json_object(raw: bytes, content_type: str | None) -> dict:
    if (content_type or "").split(";")[0].strip().lower() != "application/json":
        raise BadRequest("send the request as JSON with the header Content-Type: application/json", 415)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the request body is not valid UTF-8") from None
    try:
        body = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise BadRequest("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    if _depth(body) > MAX_JSON_DEPTH:
        raise BadRequest("the request body is nested too deeply")
    return body


def sender_id(body: dict) -> str:
    sender = body.get("sender")
    if not isinstance(sender, str):
        raise BadRequest("'sender' is required and must be a string")
    if not SENDER.fullmatch(sender):
        raise BadRequest("'sender' must be 1 to 128 letters, digits or the characters _ . : @ + -")
    return sender


def message_text(body: dict, max_chars: int) -> str:
    message = body.get("message")
    if not isinstance(message, str):
        raise BadRequest("'message' is required and must be a string")
    text = clean_text(message)
    if not text:
        raise BadRequest("'message' is empty")
    if len(text) > max_chars:
        raise BadRequest(f"'message' is too long: at most {max_chars} characters")
    return text


def page_language(body: dict) -> str | None:
    """The optional `language` of the page the widget is on, as a lower-case primary language code."""
    value = body.get("language")
    if value is None:
        return None
    if not isinstance(value, str) or not PAGE_LANGUAGE.fullmatch(value):
        raise BadRequest('\'language\' must be a language tag such as "fr" or "es-419"')
    return value.split("-")[0].lower()
