"""The key that signs staff session cookies and CSRF tokens.

ASSISTANT_SECRET_KEY when set; otherwise a random key generated once and kept
in var/secret_key (mode 0600), so staff stay signed in across restarts on one
machine. A scaled set-up requires the setting: gateways behind a load balancer
must share the key, or each refuses the staff sessions and conversation tokens
the others signed.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from core.config import Settings

MIN_LENGTH = 32
MAKE_ONE = "for example the output of: python -c 'import secrets; print(secrets.token_urlsafe(48))'"


def secret_key(settings: Settings) -> str:
    """Settings.secret_key (ASSISTANT_SECRET_KEY) if set, else the key kept under var_dir unless scaled."""
    configured = settings.secret_key
    if configured:
        if len(configured) < MIN_LENGTH:
            raise RuntimeError(f"ASSISTANT_SECRET_KEY is too short: use at least {MIN_LENGTH} random characters ({MAKE_ONE})")
        return configured
    if settings.scaled:
        raise RuntimeError(
            "ASSISTANT_SECRET_KEY is required when the assistant is scaled: every gateway must sign staff sessions "
            f"and conversation tokens with the same key, or each refuses the others' ({MAKE_ONE}; the same value "
            "on every gateway)"
        )
    return stored_secret_key(Path(settings.var_dir) / "secret_key")


def stored_secret_key(path: Path) -> str:
    if not path.exists():
        _create(path)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, 0o600)  # someone loosened it; the key signs staff sessions
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < MIN_LENGTH:
        raise RuntimeError(f"{path} does not hold a usable key; delete it and a new one is generated at the next start")
    return key


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written completely under a private name, then linked into place: two
    # gunicorn workers starting together end up with the same key.
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another worker won; its key is used
    except OSError:  # a file system without hard links
        if not path.exists():
            os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)
