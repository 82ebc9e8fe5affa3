"""Checking what a client sends before anything reaches the dialogue."""

from __future__ import annotations

import json
import re

from core.text_input import clean_text

SENDER = re.compile(r"[A-Za-z0-9_.:@+-]{1,128}")
# The page's language, as the widget reads it from its script tag or the page (BCP 47: "fr", "fr-BE", "es-419").
PAGE_LANGUAGE = re.compile(r"([A-Za-z]{2,3})(?:-[A-Za-z0-9]{1,8})*")
MAX_JSON_DEPTH = 4
# Ids: ASCII digits only ("²" and "١٢" are digits to str.isdigit), few enough for the database's integers.
WHOLE_NUMBER = re.compile(r"[0-9]{1,12}")
MAX_ID = 10**12 - 1
# A client's own id for a message, the same when it sends the message again (a UUID from the widget).
CLIENT_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


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
    except (ValueError, RecursionError):  # ValueError also covers an integer of more than 4300 digits
        raise BadRequest("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    if _depth(body) > MAX_JSON_DEPTH:
        raise BadRequest("the request body is nested too deeply")
    return body


def whole_number(value: str | None, name: str, default: int = 0) -> int:
    """A query argument that must be an id: `default` when absent, a 400 for anything but 1 to 12 ASCII digits."""
    if value is None:
        return default
    if not WHOLE_NUMBER.fullmatch(value):
        raise BadRequest(f"'{name}' must be a whole number of at most 12 digits")
    return int(value)


def id_field(body: dict, name: str) -> int:
    """A JSON field that must be an id: an integer (not a boolean) from 1 to MAX_ID."""
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
        raise BadRequest(f"'{name}' must be a whole number from 1 to {MAX_ID}")
    return value


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


def client_message_id(body: dict) -> str | None:
    """The optional `client_message_id`: a message sent again with the same id gets the reply stored the first time."""
    value = body.get("client_message_id")
    if value is None:
        return None
    if not isinstance(value, str) or not CLIENT_MESSAGE_ID.fullmatch(value):
        raise BadRequest("'client_message_id' must be 8 to 64 letters, digits, '-' or '_'")
    return value


def page_language(body: dict) -> str | None:
    """The optional `language` of the page the widget is on, as a lower-case primary language code."""
    value = body.get("language")
    if value is None:
        return None
    if not isinstance(value, str) or not PAGE_LANGUAGE.fullmatch(value):
        raise BadRequest('\'language\' must be a language tag such as "fr" or "es-419"')
    return value.split("-")[0].lower()
