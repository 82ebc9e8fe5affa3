"""The key that signs staff session cookies and CSRF tokens.

ASSISTANT_SECRET_KEY when set (several machines behind a load balancer must
share it); otherwise a random key generated once and kept in var/secret_key
(mode 0600), so staff stay signed in across restarts on one machine.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

MIN_LENGTH = 32


def secret_key(configured: str, var_dir: Path) -> str:
    """`configured` (Settings.secret_key, from ASSISTANT_SECRET_KEY) if set, else the key kept under var_dir."""
    if configured:
        if len(configured) < MIN_LENGTH:
            raise RuntimeError(
                f"ASSISTANT_SECRET_KEY is too short: use at least {MIN_LENGTH} random characters "
                "(for example the output of: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return configured
    return stored_secret_key(Path(var_dir) / "secret_key")


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
