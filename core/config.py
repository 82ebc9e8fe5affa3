"""Runtime settings, read once from the environment: the only module that reads it.

Every process (gateway, action server, tools) reads the same variables, so one
`.env`-style set of exports configures the whole assistant. Defaults are the
embedded, single-machine set-up: SQLite under var/, everything on 127.0.0.1.
Each default is stated here once; the README's configuration table lists every
variable read here (tests/test_settings.py checks both).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from core.messages import Messages
from core.site import Site, load_site

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str = "") -> str:
    value = os.environ.get(name, "").strip()
    return value or default


MODES = ("demo", "production")
SQLITE_SYNCHRONOUS = ("NORMAL", "FULL", "EXTRA")


def _mode(value: str) -> str:
    if value not in MODES:
        raise ValueError(f"ASSISTANT_MODE must be one of {', '.join(MODES)}, not {value!r}")
    return value


def _synchronous(value: str) -> str:
    if value.upper() not in SQLITE_SYNCHRONOUS:
        raise ValueError(f"ASSISTANT_SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA, not {value!r}")
    return value.upper()


API_KEY_NAME = re.compile(r"[a-z0-9_-]{1,32}")
API_KEY_HASH = re.compile(r"[0-9a-f]{64}")


def _api_keys(value: str) -> tuple[tuple[str, str], ...]:
    """ASSISTANT_API_KEYS: "name:sha256-hex,name:sha256-hex" -> ((name, hash), ...); the keys themselves are never configured."""
    keys = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        name, _, digest = item.partition(":")
        if not API_KEY_NAME.fullmatch(name) or not API_KEY_HASH.fullmatch(digest.lower()):
            raise ValueError(
                "ASSISTANT_API_KEYS must be name:sha256-hex pairs separated by commas "
                "(python -m assistant.gateway.api_keys new NAME prints one)"
            )
        keys.append((name, digest.lower()))
    if len({name for name, _ in keys}) != len(keys):
        raise ValueError("ASSISTANT_API_KEYS names each integration once")
    return tuple(keys)


INTERNAL_TOKEN_MIN_LENGTH = 32
INTERNAL_TOKEN_HEADER = "X-Assistant-Token"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def _urls(value: str) -> tuple[str, ...]:
    return tuple(url.strip().rstrip("/") for url in value.split(",") if url.strip())


def _switch(name: str, value: str) -> bool:
    if value not in ("0", "1"):
        raise ValueError(f"{name} must be 0 or 1, not {value!r}")
    return value == "1"


INDEX_HASH = re.compile(r"[0-9a-f]{16}")


def _index_hash(value: str) -> str:
    if value and not INDEX_HASH.fullmatch(value):
        raise ValueError("ASSISTANT_EXPECTED_INDEX_HASH must be the 16 hex digits /readyz reports as the index's hash")
    return value


def _days(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError("ASSISTANT_RETENTION_DAYS must be a whole number of days, at least 1")
    return int(value)


@dataclass(frozen=True)
class SqliteTuning:
    # How long a writer waits for another's lock before giving up (the gateway then queues the write: core/storage/pending_writes.py).
    busy_ms: int = 5000
    # NORMAL: in WAL mode a commit is safe from any process crash without waiting for the disk twice; only a
    # power cut can lose the last moments (docs/BENCHMARKS.md). FULL to wait for the disk anyway.
    synchronous: str = "NORMAL"


@dataclass(frozen=True)
class TwilioConfig:
    """Twilio's REST API (SMS and WhatsApp); secrets come from the environment only, never from files."""

    api_base: str = "https://api.twilio.com"
    account_sid: str = ""
    auth_token: str = ""
    sms_from: str = ""  # an E.164 number, or a Messaging Service SID "MG…"
    whatsapp_from: str = ""
    public_base_url: str = ""  # the gateway's public address, which Twilio signs its webhooks against

    @classmethod
    def from_env(cls) -> TwilioConfig:
        sms_from = _env("TWILIO_FROM_NUMBER")
        whatsapp_from = _env("TWILIO_WHATSAPP_FROM", sms_from if sms_from.startswith("+") else "")
        if whatsapp_from and not whatsapp_from.startswith("whatsapp:"):
            whatsapp_from = f"whatsapp:{whatsapp_from}"
        return cls(
            api_base=_env("TWILIO_API_BASE", cls.api_base).rstrip("/"),
            account_sid=_env("TWILIO_ACCOUNT_SID"),
            auth_token=_env("TWILIO_AUTH_TOKEN"),
            sms_from=sms_from,
            whatsapp_from=whatsapp_from,
            public_base_url=_env("PUBLIC_BASE_URL").rstrip("/"),
        )

    @property
    def can_send(self) -> bool:
        return bool(self.account_sid and self.auth_token)


@dataclass(frozen=True)
class WhatsAppConfig:
    """Meta's WhatsApp Cloud API; the template (one body variable, the staff text) is for replies after 24 h."""

    api_base: str = "https://graph.facebook.com/v19.0"
    token: str = ""
    phone_number_id: str = ""
    app_secret: str = ""  # checks the webhook's X-Hub-Signature-256
    verify_token: str = ""  # the webhook set-up handshake
    template_name: str = ""
    template_language: str = "en"

    @classmethod
    def from_env(cls) -> WhatsAppConfig:
        return cls(
            api_base=_env("WHATSAPP_API_BASE", cls.api_base).rstrip("/"),
            token=_env("WHATSAPP_TOKEN"),
            phone_number_id=_env("WHATSAPP_PHONE_NUMBER_ID"),
            app_secret=_env("WHATSAPP_APP_SECRET"),
            verify_token=_env("WHATSAPP_VERIFY_TOKEN"),
            template_name=_env("WHATSAPP_TEMPLATE_NAME"),
            template_language=_env("WHATSAPP_TEMPLATE_LANGUAGE", cls.template_language),
        )

    @property
    def can_send(self) -> bool:
        return bool(self.token and self.phone_number_id)


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    database_url: str
    site_path: Path
    knowledge_dir: Path
    index_dir: Path
    # One URL, or several separated by commas: the gateway sends each conversation to one of them by a hash of
    # its sender (assistant/routing.py). `rasa_urls` / `action_server_urls` split them.
    rasa_url: str
    action_server_url: str
    rasa_timeout: float = 10.0
    max_message_chars: int = 2000
    messages_dir: Path = ROOT / "messages"
    # "production" refuses to start with draft or overdue texts or the example site.yml; "demo" starts and
    # says what production would refuse.
    mode: str = "demo"
    # Where the processes listen (Rasa and the action server on loopback only).
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    gateway_workers: int = 1
    gateway_threads: int = 8
    rasa_port: int = 5005
    action_port: int = 5055
    rasa_endpoints: str = "endpoints.yml"
    # Rasa's conversation store (Rasa reads the same variables in endpoints.yml); "" is `tracker_location`'s default.
    tracker_dialect: str = "sqlite"
    tracker_db: str = ""
    # A PostgreSQL conversation store's server and account (endpoints.scaled.yml), for the retention commands.
    tracker_db_host: str = "127.0.0.1"
    tracker_db_port: int = 5432
    tracker_db_user: str = ""
    tracker_db_password: str = ""
    sqlite: SqliteTuning = field(default_factory=SqliteTuning)
    rate_limit_per_sender: str = "20 per minute"
    rate_limit_per_address: str = "120 per minute"
    # The widget polls for staff replies every 1.5 s while open (40 a minute).
    rate_limit_polling: str = "240 per minute"
    ratelimit_storage: str = "memory://"
    cors_origins: str = ""
    behind_proxy: bool = False
    secret_key: str = ""
    insecure_cookies: bool = False
    # The shared secret the gateway, the Rasa servers and the action servers send each other (X-Assistant-Token);
    # required when scaled (see `scaled`), checked by every process whenever it is set.
    internal_token: str = ""
    retention_days: int | None = None
    # When scaled, the knowledge index every action server must serve (GET /readyz reports it); "" compares
    # with the index on the gateway's own disk (assistant/gateway/artifacts.py).
    expected_index_hash: str = ""
    # When scaled, the model file every Rasa server must have loaded (its name, as /readyz reports it); "" compares
    # with the model named in the gateway's own var/.model-path.
    expected_model: str = ""
    # Integrations that use the chat API with their own sender ids: (name, SHA-256 of its key), from ASSISTANT_API_KEYS.
    api_keys: tuple[tuple[str, str], ...] = ()
    # Early-retrieval hints to the action server; off on its own with several (see `early_retrieval`). Turn it off
    # when one ACTION_SERVER_URL stands for several servers (a Kubernetes Service with replicas).
    early_retrieval_wanted: bool = True
    # How long a conversation's second simultaneous message waits for the first one's turn before a 429.
    turn_wait_seconds: float = 3.0
    # Writes made while the database is down wait in this Redis stream, shared by every gateway (any of them
    # replays it); "" (the embedded set-up), or Redis down too: in a file under var_dir (core/storage/pending_writes.py).
    pending_writes_redis: str = ""
    pending_writes_key: str = "assistant:pending-writes"
    # Threads per gateway process that answer stored SMS and WhatsApp messages (assistant/channels/worker.py).
    channel_workers: int = 4
    # Shared by every process of the checkout, whatever its var_dir.
    encoder_dir: Path = ROOT / "var" / "encoder"
    twilio: TwilioConfig = field(default_factory=TwilioConfig)
    whatsapp: WhatsAppConfig = field(default_factory=WhatsAppConfig)

    @classmethod
    def from_env(cls) -> Settings:
        var_dir = Path(_env("ASSISTANT_VAR_DIR", str(ROOT / "var")))
        rasa_port = int(_env("RASA_PORT", str(cls.rasa_port)))
        action_port = int(_env("ACTION_PORT", str(cls.action_port)))
        return cls(
            var_dir=var_dir,
            database_url=_env("ASSISTANT_DATABASE_URL", f"sqlite:///{var_dir / 'assistant.db'}"),
            site_path=Path(_env("ASSISTANT_SITE_CONFIG", str(ROOT / "site.yml"))),
            knowledge_dir=Path(_env("ASSISTANT_KNOWLEDGE_DIR", str(ROOT / "knowledge" / "texts"))),
            index_dir=Path(_env("ASSISTANT_INDEX_DIR", str(var_dir / "index"))),
            rasa_url=_env("RASA_URL", f"http://127.0.0.1:{rasa_port}"),
            action_server_url=_env("ACTION_SERVER_URL", f"http://127.0.0.1:{action_port}"),
            rasa_timeout=float(_env("ASSISTANT_RASA_TIMEOUT", str(cls.rasa_timeout))),
            max_message_chars=int(_env("ASSISTANT_MAX_MESSAGE_CHARS", str(cls.max_message_chars))),
            messages_dir=Path(_env("ASSISTANT_MESSAGES_DIR", str(cls.messages_dir))),
            mode=_mode(_env("ASSISTANT_MODE", cls.mode)),
            gateway_host=_env("GATEWAY_HOST", cls.gateway_host),
            gateway_port=int(_env("GATEWAY_PORT", str(cls.gateway_port))),
            gateway_workers=int(_env("GATEWAY_WORKERS", str(cls.gateway_workers))),
            gateway_threads=int(_env("GATEWAY_THREADS", str(cls.gateway_threads))),
            rasa_port=rasa_port,
            action_port=action_port,
            rasa_endpoints=_env("RASA_ENDPOINTS", cls.rasa_endpoints),
            tracker_dialect=_env("TRACKER_DIALECT", cls.tracker_dialect),
            tracker_db=_env("TRACKER_DB"),
            tracker_db_host=_env("TRACKER_DB_HOST", cls.tracker_db_host),
            tracker_db_port=int(_env("TRACKER_DB_PORT", str(cls.tracker_db_port))),
            tracker_db_user=_env("TRACKER_DB_USER"),
            tracker_db_password=_env("TRACKER_DB_PASSWORD"),
            sqlite=SqliteTuning(
                busy_ms=int(_env("ASSISTANT_SQLITE_BUSY_MS", str(SqliteTuning.busy_ms))),
                synchronous=_synchronous(_env("ASSISTANT_SQLITE_SYNCHRONOUS", SqliteTuning.synchronous)),
            ),
            rate_limit_per_sender=_env("ASSISTANT_RATE_LIMIT_PER_SENDER", cls.rate_limit_per_sender),
            rate_limit_per_address=_env("ASSISTANT_RATE_LIMIT_PER_ADDRESS", cls.rate_limit_per_address),
            rate_limit_polling=_env("ASSISTANT_RATE_LIMIT_POLLING", cls.rate_limit_polling),
            ratelimit_storage=_env("ASSISTANT_RATELIMIT_STORAGE", cls.ratelimit_storage),
            cors_origins=_env("ASSISTANT_CORS_ORIGINS"),
            behind_proxy=_env("ASSISTANT_BEHIND_PROXY") == "1",
            secret_key=_env("ASSISTANT_SECRET_KEY"),
            insecure_cookies=_env("ASSISTANT_INSECURE_COOKIES") == "1",
            internal_token=_env("ASSISTANT_INTERNAL_TOKEN"),
            retention_days=_days(_env("ASSISTANT_RETENTION_DAYS")),
            expected_index_hash=_index_hash(_env("ASSISTANT_EXPECTED_INDEX_HASH")),
            expected_model=Path(_env("ASSISTANT_EXPECTED_MODEL")).name,
            api_keys=_api_keys(_env("ASSISTANT_API_KEYS")),
            early_retrieval_wanted=_switch(
                "ASSISTANT_EARLY_RETRIEVAL", _env("ASSISTANT_EARLY_RETRIEVAL", str(int(cls.early_retrieval_wanted)))
            ),
            turn_wait_seconds=float(_env("ASSISTANT_TURN_WAIT_SECONDS", str(cls.turn_wait_seconds))),
            pending_writes_redis=_env("ASSISTANT_PENDING_WRITES_REDIS", cls.pending_writes_redis),
            pending_writes_key=_env("ASSISTANT_PENDING_WRITES_KEY", cls.pending_writes_key),
            channel_workers=int(_env("ASSISTANT_CHANNEL_WORKERS", str(cls.channel_workers))),
            encoder_dir=Path(_env("ASSISTANT_ENCODER_DIR", str(cls.encoder_dir))),
            twilio=TwilioConfig.from_env(),
            whatsapp=WhatsAppConfig.from_env(),
        )

    @property
    def rasa_urls(self) -> tuple[str, ...]:
        return _urls(self.rasa_url)

    @property
    def action_server_urls(self) -> tuple[str, ...]:
        return _urls(self.action_server_url)

    @property
    def scaled(self) -> bool:
        """More than the embedded set-up: PostgreSQL conversations, the scaled endpoints, several Rasa or action
        servers, or one of them on another machine. Then every process requires the internal token. (PostgreSQL as
        the assistant's own database, with every process on this machine's loopback, is not scaled: Rasa's
        embedded endpoints could not send the token.)"""
        hosts = [url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0] for url in self.rasa_urls + self.action_server_urls]
        return (
            self.tracker_dialect != "sqlite"
            or self.rasa_endpoints != "endpoints.yml"
            or len(self.rasa_urls) > 1
            or len(self.action_server_urls) > 1
            or any(host not in LOOPBACK_HOSTS for host in hosts)
        )

    @property
    def early_retrieval(self) -> bool:
        """Whether the gateway sends early-retrieval hints: only to a single action server, the one every action
        call reaches (with several, a hint may land on one that never answers that message)."""
        return self.early_retrieval_wanted and len(self.action_server_urls) == 1

    def check_internal_token(self) -> None:
        """Refuse to start when scaled without a shared secret, or with one too short to be a secret."""
        if self.internal_token and len(self.internal_token) < INTERNAL_TOKEN_MIN_LENGTH:
            raise RuntimeError(
                f"ASSISTANT_INTERNAL_TOKEN is too short: use at least {INTERNAL_TOKEN_MIN_LENGTH} random characters "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if self.scaled and not self.internal_token:
            raise RuntimeError(
                "ASSISTANT_INTERNAL_TOKEN is required when the assistant is scaled (the scaled endpoints, PostgreSQL "
                "conversations, several Rasa or action servers, or one on another machine): the gateway, Rasa and "
                "the action servers send it to each other and refuse requests without it"
            )

    @property
    def internal_headers(self) -> dict[str, str]:
        """Headers for a call to Rasa or an action server: the internal token, when there is one."""
        return {INTERNAL_TOKEN_HEADER: self.internal_token} if self.internal_token else {}

    @property
    def tracker_location(self) -> str:
        """Rasa's conversation store: TRACKER_DB, else a SQLite file under var_dir; for PostgreSQL, a URL built
        from TRACKER_DB (the database's name) and TRACKER_DB_HOST/PORT/USER/PASSWORD, as Rasa reads them."""
        if self.tracker_dialect == "postgresql":
            from sqlalchemy.engine import URL

            return URL.create(
                "postgresql+psycopg",
                username=self.tracker_db_user or None,
                password=self.tracker_db_password or None,
                host=self.tracker_db_host,
                port=self.tracker_db_port,
                database=self.tracker_db or "rasa",
            ).render_as_string(hide_password=False)
        return self.tracker_db or str(self.var_dir / "rasa_tracker.db")

    @cached_property
    def site(self) -> Site:
        return load_site(self.site_path, languages=self.messages.catalogs)

    @cached_property
    def messages(self) -> Messages:
        return Messages.load(self.messages_dir)


def child_environment(**overrides: str) -> dict[str, str]:
    """This process's environment with `overrides`, for a child process (Rasa, supervisord) that reads its own."""
    env = dict(os.environ, **overrides)
    env.pop("PYTHONPATH", None)
    return env


def model_libraries_offline() -> None:
    """Tell Hugging Face's libraries (which read these variables themselves) never to reach the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
