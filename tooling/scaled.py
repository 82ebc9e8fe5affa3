"""`python -m tooling.scaled MODEL`: two of each process on this machine behind HAProxy (`make run-scaled`).

Two gateways, two Rasa servers and two action servers, on the local PostgreSQL (the gateway's tables and
Rasa's conversations, one database) and Redis (Rasa's fenced lock store, db 1; shared rate-limit counts), all under
one supervisord as `make run` (tooling/launcher.py), from the same Procfile commands, with HAProxy in front:

    HAProxy :GATEWAY_PORT ──hash of the sender──► gateway 1 :GATEWAY_PORT+1 ─┐ hash of the sender
                                              └─► gateway 2 :GATEWAY_PORT+2 ─┴─► Rasa 1 :RASA_PORT   ─► actions 1 :ACTION_PORT
                                                                               ─► Rasa 2 :RASA_PORT+1 ─► actions 2 :ACTION_PORT+1

HAProxy sends every request of one conversation to one gateway (the `sender` of a chat message's JSON body,
or the `sender` query parameter of the history); every gateway sends a conversation to the same Rasa server
(assistant/routing.py), and that Rasa server calls its own action server (early retrieval is off with several
action servers). The processes require the internal token (ASSISTANT_INTERNAL_TOKEN) and the gateways one
secret key (ASSISTANT_SECRET_KEY); when not set, each is generated for this run. The schema is migrated once, before anything starts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from core.config import ROOT, Settings
from core.storage.migrate import upgrade
from knowledge import review
from tooling.launcher import environment, procfile_commands, supervise, supervisord_config, wait_until_healthy

INSTANCES = 2
HAPROXY = "/usr/sbin/haproxy"


@dataclass(frozen=True)
class Layout:
    """Where each process listens."""

    public: int
    gateways: tuple[int, ...]
    rasa: tuple[int, ...]
    actions: tuple[int, ...]

    @classmethod
    def from_settings(cls, settings: Settings, instances: int = INSTANCES) -> Layout:
        return cls(
            public=settings.gateway_port,
            gateways=tuple(settings.gateway_port + 1 + i for i in range(instances)),
            rasa=tuple(settings.rasa_port + i for i in range(instances)),
            actions=tuple(settings.action_port + i for i in range(instances)),
        )

    @property
    def rasa_urls(self) -> str:
        return ",".join(f"http://127.0.0.1:{port}" for port in self.rasa)

    @property
    def action_urls(self) -> str:
        return ",".join(f"http://127.0.0.1:{port}" for port in self.actions)


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database `url` names if it does not exist (connecting to template1 to do it)."""
    import psycopg

    parsed = make_url(url)
    server = parsed.set(drivername="postgresql", database="template1").render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True, connect_timeout=5) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)).fetchone():
            admin.execute(f'CREATE DATABASE "{parsed.database}"')


def scaled_environment(settings: Settings, model: Path, layout: Layout) -> dict[str, str]:
    """What every process shares: the database, Redis, the scaled endpoints, the lists of servers, the token."""
    if not settings.database_url.startswith("postgresql"):
        raise SystemExit("run-scaled needs ASSISTANT_DATABASE_URL=postgresql://... (the Makefile sets a local one)")
    if not settings.ratelimit_storage.startswith("redis"):
        raise SystemExit("run-scaled needs ASSISTANT_RATELIMIT_STORAGE=redis://... (the Makefile sets a local one)")
    env = environment(settings, model)
    database = make_url(settings.database_url)
    redis = urlsplit(settings.ratelimit_storage)
    env.update(
        RASA_ENDPOINTS="endpoints.scaled.yml",
        TRACKER_DIALECT="postgresql",
        TRACKER_DB_HOST=database.host or "127.0.0.1",
        TRACKER_DB_PORT=str(database.port or 5432),
        TRACKER_DB=database.database or "",
        TRACKER_DB_USER=database.username or "",
        TRACKER_DB_PASSWORD=database.password or "",
        # Writes made while the database is down: one stream every gateway replays (core/storage/pending_writes.py).
        ASSISTANT_PENDING_WRITES_REDIS=settings.pending_writes_redis or settings.ratelimit_storage,
        REDIS_HOST=env.get("REDIS_HOST") or redis.hostname or "127.0.0.1",
        REDIS_PORT=env.get("REDIS_PORT") or str(redis.port or 6379),
        RASA_URL=layout.rasa_urls,
        ACTION_SERVER_URL=layout.action_urls,
        ASSISTANT_INTERNAL_TOKEN=settings.internal_token or secrets.token_urlsafe(48),
        # One key for every gateway: each accepts the staff sessions and conversation tokens the others signed.
        ASSISTANT_SECRET_KEY=settings.secret_key or secrets.token_urlsafe(48),
        ASSISTANT_BEHIND_PROXY="1",
    )
    return env


def programs(layout: Layout, env: dict[str, str], run_dir: Path, rasa_api: bool = False) -> dict[str, tuple[str, dict[str, str]]]:
    """Each supervisord program: its command (from the Procfile) and its own variables. `rasa_api`: Rasa's HTTP
    API too (behind the internal token, as every Rasa request), so a test can read a server's trackers."""
    result: dict[str, tuple[str, dict[str, str]]] = {}
    for i, (rasa, actions) in enumerate(zip(layout.rasa, layout.actions, strict=True), start=1):
        own = {"RASA_PORT": str(rasa), "ACTION_PORT": str(actions), "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions}/webhook"}
        commands = procfile_commands((ROOT / "Procfile").read_text(), {**env, **own})
        result[f"rasa{i}"] = (commands["rasa"] + (" --enable-api" if rasa_api else ""), own)
        result[f"actions{i}"] = (commands["actions"], own)
    for i, port in enumerate(layout.gateways, start=1):
        own = {"GATEWAY_PORT": str(port), "GATEWAY_HOST": "127.0.0.1"}
        result[f"gateway{i}"] = (procfile_commands((ROOT / "Procfile").read_text(), {**env, **own})["gateway"], own)
    result["haproxy"] = (f"{HAPROXY} -W -db -f {run_dir / 'haproxy.cfg'}", {})
    return result


def haproxy_config(layout: Layout, host: str = "127.0.0.1") -> str:
    """One frontend; requests of one conversation to one gateway by a hash of its sender."""
    servers = "\n".join(
        f"    server gateway{i} 127.0.0.1:{port} check inter 2s fall 2 rise 1" for i, port in enumerate(layout.gateways, start=1)
    )
    return f"""global
    # One line a request, on supervisord's output: which gateway served it.
    log stdout format raw local0 info
    maxconn 4096

defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 60s
    timeout server 30s
    # Below the gateway's 75 s keepalive (assistant/gateway_gunicorn.py): HAProxy, not the gateway, closes idle ones.
    timeout http-keep-alive 60s

frontend public
    bind {host}:{layout.public}
    # The whole body is read before a server is chosen: the chat message's sender is in its JSON.
    option http-buffer-request
    option forwardfor
    http-request set-var(txn.conversation) req.body,json_query('$.sender') if {{ method POST }} {{ path /api/chat }}
    http-request set-var(txn.conversation) url_param(sender) if !{{ var(txn.conversation) -m found }}
    http-request set-var(txn.conversation) req.hdr(X-Conversation-Id) if !{{ var(txn.conversation) -m found }}
    default_backend gateways

backend gateways
    # A conversation's requests go to one gateway; without a sender (pages, the inbox) the hash is of nothing
    # and HAProxy picks by round robin. Consistent hashing: a gateway that leaves moves only its conversations.
    balance hash var(txn.conversation)
    hash-type consistent
    # Liveness, not readiness: with Rasa down a gateway still answers patients safely (the emergency number,
    # the secretariat's), so it must stay in the pool.
    option httpchk GET /livez
    http-check expect status 200
    retry-on conn-failure empty-response
    retries 2
    option redispatch
{servers}
"""


def health_urls(layout: Layout) -> dict[str, str]:
    urls = {f"rasa{i}": f"http://127.0.0.1:{port}/" for i, port in enumerate(layout.rasa, start=1)}
    urls.update({f"actions{i}": f"http://127.0.0.1:{port}/health" for i, port in enumerate(layout.actions, start=1)})
    urls.update({f"gateway{i}": f"http://127.0.0.1:{port}/readyz" for i, port in enumerate(layout.gateways, start=1)})
    urls["haproxy"] = f"http://127.0.0.1:{layout.public}/readyz"
    return urls


def announce(layout: Layout, timeout: float) -> None:
    failing = wait_until_healthy(health_urls(layout), timeout)
    public = f"http://127.0.0.1:{layout.public}"
    if failing:
        print(f"\n!! not ready after {timeout:.0f} s: {', '.join(failing)} (see the logs above)\n", flush=True)
        return
    gateways = ", ".join(f"http://127.0.0.1:{port}" for port in layout.gateways)
    print(
        f"\n=== The assistant is running, scaled: {len(layout.gateways)} gateway(s), Rasa server(s) and action server(s) "
        "behind HAProxy ===\n"
        f"  Chat demo: {public}/\n"
        f"  Chat API:  POST {public}/api/chat\n"
        f"  Inbox:     {public}/inbox/\n"
        f"  Health:    {public}/livez (liveness), {public}/readyz (readiness)\n"
        f"  Gateways:  {gateways}\n"
        f"  Rasa:      {layout.rasa_urls.replace(',', ', ')}\n"
        f"  Actions:   {layout.action_urls.replace(',', ', ')}\n"
        "  Stop:      Ctrl-C\n",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="the trained Rasa model (.tar.gz)")
    parser.add_argument("--ready-timeout", type=float, default=300)
    # One of each on the same PostgreSQL, Redis and HAProxy is the baseline `make bench` measures the two against.
    parser.add_argument("--instances", type=int, default=INSTANCES, help="how many of each process (default %(default)s)")
    parser.add_argument("--rasa-api", action="store_true", help="enable Rasa's HTTP API (it still requires the internal token)")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    review.enforce(settings, dt.date.today(), lambda line: print(line, flush=True))
    layout = Layout.from_settings(settings, args.instances)
    env = scaled_environment(settings, args.model.resolve(), layout)
    ensure_database(settings.database_url)
    upgrade(settings.database_url)  # once, under the migration lock, before any gateway starts
    run_dir = settings.var_dir / "run-scaled"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "haproxy.cfg").write_text(haproxy_config(layout, settings.gateway_host))
    config = run_dir / "supervisord.conf"
    progs = programs(layout, env, run_dir, args.rasa_api)
    config.write_text(
        supervisord_config(
            {name: command for name, (command, _) in progs.items()}, run_dir, {name: own for name, (_, own) in progs.items()}
        )
    )

    def started() -> None:
        if args.ready_timeout > 0:
            threading.Thread(target=announce, args=(layout, args.ready_timeout), daemon=True).start()

    return supervise(config, env, started)


if __name__ == "__main__":
    sys.exit(main())
