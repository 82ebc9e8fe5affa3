"""Who is calling the chat API: a web conversation's token, or an integration's API key.

- The widget asks for a conversation (POST /api/conversations) and gets a token: a random conversation id
  (`secrets.token_urlsafe(24)`, 192 bits) signed with HMAC-SHA256 by itsdangerous's `Signer`, keyed by the
  gateway's secret key (ASSISTANT_SECRET_KEY, else var/secret_key) with its own salt. It sends the token in the
  `X-Conversation-Token` header; the conversation's sender id is the id inside the token, so only whoever holds
  the token can write to, read, rate or delete that conversation. A `sender` named by a web client is refused.
- Another integration (a patient portal, a kiosk) sends `Authorization: Bearer <its key>` and names its own
  sender ids. Keys are configured as SHA-256 digests only (ASSISTANT_API_KEYS, `python -m
  assistant.gateway.api_keys new NAME` makes one); a presented key is hashed and compared with every configured
  digest in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from flask import current_app, request
from itsdangerous import BadSignature, Signer

from assistant.gateway.validation import BadRequest, sender_id

TOKEN_HEADER = "X-Conversation-Token"
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,128}\.[A-Za-z0-9_-]{20,128}")
SALT = "assistant.web-conversation-token"
EXTENSION = "conversation_tokens"


class ConversationTokens:
    def __init__(self, secret_key: str):
        self._signer = Signer(secret_key, salt=SALT, digest_method=hashlib.sha256)

    def new(self) -> tuple[str, str]:
        """(token, conversation id) of a new conversation."""
        conversation = secrets.token_urlsafe(24)
        return self.sign(conversation), conversation

    def sign(self, conversation: str) -> str:
        return self._signer.sign(conversation).decode("ascii")

    def conversation_of(self, token: str) -> str | None:
        """The conversation id a token carries; None unless it is a token this gateway signed."""
        if not TOKEN.fullmatch(token):
            return None
        try:
            return self._signer.unsign(token).decode("ascii")
        except BadSignature:
            return None


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def integration_of(key: str, configured: tuple[tuple[str, str], ...]) -> str | None:
    """The name of the integration whose key this is; every digest is compared, each in constant time."""
    digest, found = key_digest(key).encode(), None
    for name, expected in configured:
        if hmac.compare_digest(digest, expected.encode()):
            found = name
    return found


@dataclass(frozen=True)
class Caller:
    sender: str
    integration: str | None  # None: a web conversation's token


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


def caller(named_sender: object) -> Caller:
    """The conversation the request is for. `named_sender`: the `sender` the request names (body or query), None if
    none. A 401 without a valid token or key; a 400 when a web conversation also names a sender."""
    key = _bearer()
    if key is not None:
        integration = integration_of(key, current_app.config["SETTINGS"].api_keys)
        if integration is None:
            raise BadRequest("the API key is not valid", 401)
        return Caller(sender_id({"sender": named_sender}), integration)
    token = request.headers.get(TOKEN_HEADER)
    if token is None:
        raise BadRequest(f"start a conversation first (POST /api/conversations) and send its token in the {TOKEN_HEADER} header", 401)
    conversation = current_app.extensions[EXTENSION].conversation_of(token.strip())
    if conversation is None:
        raise BadRequest("the conversation token is not valid; start a new conversation", 401)
    if named_sender is not None:
        raise BadRequest("'sender' is set by the conversation token; only integrations with an API key name senders")
    return Caller(conversation, None)


def rate_limit_key(named_sender: object) -> str | None:
    """The conversation a request counts against, without refusing anything (None when it names none validly)."""
    try:
        who = caller(named_sender)
    except BadRequest:
        return None
    return f"{who.integration}:{who.sender}" if who.integration else f"web:{who.sender}"
