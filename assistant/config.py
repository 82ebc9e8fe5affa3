"""Runtime settings, read once from the environment.

Every process (gateway, action server, tools) reads the same variables, so one
`.env`-style set of exports configures the whole assistant. Defaults are the
embedded, single-machine set-up: SQLite under var/, everything on 127.0.0.1.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from assistant.messages import Messages
from assistant.site import Site, load_site

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


MODES = ("demo", "production")


def _mode(value: str) -> str:
    if value not in MODES:
        raise ValueError(f"ASSISTANT_MODE must be one of {', '.join(MODES)}, not {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    database_url: str
    site_path: Path
    knowledge_dir: Path
    index_dir: Path
    rasa_url: str
    action_server_url: str
    rasa_timeout: float
    max_message_chars: int
    messages_dir: Path = ROOT / "messages"
    # "production" refuses to start with draft or overdue texts or the example site.yml; "demo" starts and
    # says what production would refuse.
    mode: str = "demo"

    @classmethod
    def from_env(cls) -> Settings:
        var_dir = Path(_env("ASSISTANT_VAR_DIR", str(ROOT / "var")))
        return cls(
            var_dir=var_dir,
            database_url=_env("ASSISTANT_DATABASE_URL", f"sqlite:///{var_dir / 'assistant.db'}"),
            site_path=Path(_env("ASSISTANT_SITE_CONFIG", str(ROOT / "site.yml"))),
            knowledge_dir=Path(_env("ASSISTANT_KNOWLEDGE_DIR", str(ROOT / "knowledge" / "texts"))),
            index_dir=Path(_env("ASSISTANT_INDEX_DIR", str(var_dir / "index"))),
            rasa_url=_env("RASA_URL", f"http://127.0.0.1:{_env('RASA_PORT', '5005')}"),
            action_server_url=_env("ACTION_SERVER_URL", f"http://127.0.0.1:{_env('ACTION_PORT', '5055')}"),
            rasa_timeout=float(_env("ASSISTANT_RASA_TIMEOUT", "10")),
            max_message_chars=int(_env("ASSISTANT_MAX_MESSAGE_CHARS", "2000")),
            messages_dir=Path(_env("ASSISTANT_MESSAGES_DIR", str(ROOT / "messages"))),
            mode=_mode(_env("ASSISTANT_MODE", "demo")),
        )

    @cached_property
    def site(self) -> Site:
        return load_site(self.site_path)

    @cached_property
    def messages(self) -> Messages:
        return Messages.load(self.messages_dir)
