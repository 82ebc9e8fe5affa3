"""Make an integration's API key for the chat API.

    python -m assistant.gateway.api_keys new NAME

prints a new random key (give it to the integration; it is not kept anywhere) and the `NAME:digest` entry to add
to ASSISTANT_API_KEYS (comma-separated), which holds only the key's SHA-256 digest.
"""

from __future__ import annotations

import secrets
import sys

from assistant.gateway.identity import key_digest
from core.config import API_KEY_NAME


def new_key(name: str) -> tuple[str, str]:
    """(key, ASSISTANT_API_KEYS entry)."""
    if not API_KEY_NAME.fullmatch(name):
        raise ValueError("the integration's name: 1 to 32 lower-case letters, digits, _ or -")
    key = secrets.token_urlsafe(32)
    return key, f"{name}:{key_digest(key)}"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "new":
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        key, entry = new_key(argv[1])
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"key for {argv[1]} (shown once): {key}")
    print(f"add to ASSISTANT_API_KEYS: {entry}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
