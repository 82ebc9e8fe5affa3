"""Scale-out side by side: two of each process behind HAProxy against one of each, at the same load.

Both set-ups are `python -m tooling.scaled` (`make run-scaled`), with `--instances 2` and `--instances 1`: the
same HAProxy, PostgreSQL and Redis in front of and behind them, so the comparison is of the number of
processes only. Both run at once, each on a new database of its own, and the loads take turns between them
level by level, so a change in the shared machine's speed shows in both.

CPU per turn by process kind: each process's user + system CPU time (from /proc) before and after a load,
summed per kind (gateway, Rasa, action server, HAProxy, supervisord), divided by the turns sent. PostgreSQL's
backends are found by their database (pg_stat_activity); a backend that ends during a load takes its CPU with
it, so theirs is a lower bound. Redis is one server shared with other work and is not attributed.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests

from benchmarks import processes
from benchmarks.turns import MIX, LevelResult, run_level, via_gateway
from core.config import ROOT
from tests.support.scaled import answers, start_scaled
from tests.support.system import interrupt

SETUPS = {"one of each": 1, "two of each": 2}
# (concurrent conversations, paced): capacity at two depths, then the patients' pace.
LOADS = ((8, False), (32, False), (32, True))
READY_TIMEOUT = 420
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
MODEL_PATH = ROOT / "var" / ".model-path"  # written by `make model`, which `make bench` runs first
KINDS = ("gateway", "rasa", "actions", "haproxy", "postgres", "launcher", "load generator")


@dataclass
class ScaledSystem:
    name: str
    instances: int
    public: str
    database: str
    process: subprocess.Popen
    log_path: Path
    launched_at: float
    ready_s: float = float("nan")
    health: list[str] = field(default_factory=list)  # every server's own probe, HAProxy's readiness first


@dataclass
class ScaledResults:
    levels: list[tuple[str, LevelResult]] = field(default_factory=list)  # (set-up, result), in the order measured
    ready_s: dict[str, float] = field(default_factory=dict)
    cores: int = 0


def _create_database(name: str) -> str:
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def _drop_database(name: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_backends(database: str) -> list[int]:
    """The pids of the PostgreSQL backends connected to `database`."""
    with psycopg.connect(POSTGRES_ADMIN, connect_timeout=5) as admin:
        return [pid for (pid,) in admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))]


def trained_model() -> str:
    if not MODEL_PATH.is_file():
        raise SystemExit("no trained model: run `make model` (or `make bench`, which runs it) first")
    return MODEL_PATH.read_text().strip()


def launch(name: str, instances: int, workdir: Path, redis_url: str, extra_env: dict[str, str]) -> ScaledSystem:
    database = f"ir_bench_{secrets.token_hex(4)}_{instances}"
    database_url = _create_database(database)
    folder = workdir / f"scaled-{instances}"
    folder.mkdir(parents=True, exist_ok=True)
    launched_at = time.monotonic()
    env = {"ASSISTANT_INTERNAL_TOKEN": secrets.token_urlsafe(48), **extra_env}
    process, ports, log_path = start_scaled(folder, trained_model(), database_url, instances, env, redis_url=redis_url)
    public = f"http://127.0.0.1:{ports['GATEWAY_PORT']}"
    health = [
        f"{public}/readyz",
        *(f"http://127.0.0.1:{ports['RASA_PORT'] + i}/" for i in range(instances)),
        *(f"http://127.0.0.1:{ports['ACTION_PORT'] + i}/health" for i in range(instances)),
    ]
    return ScaledSystem(name, instances, public, database, process, log_path, launched_at, health=health)


def wait_ready(systems: list[ScaledSystem]) -> None:
    """Until every server of every system answers its probe; each system's seconds from launch are kept."""
    deadline = time.monotonic() + READY_TIMEOUT
    pending = list(systems)
    while pending:
        for system in list(pending):
            if system.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{system.name} not ready:\n{system.log_path.read_text(errors='replace')[-4000:]}")
            if all(answers(url) for url in system.health):
                system.ready_s = time.monotonic() - system.launched_at
                pending.remove(system)
        time.sleep(1)


def stop(system: ScaledSystem) -> None:
    """Ctrl-C, as a person would (supervisord stops its programs), then the system's database is dropped."""
    interrupt(system.process, timeout=60)
    _drop_database(system.database)


def cpu_snapshot(system: ScaledSystem) -> tuple[dict[str, float], dict[int, float]]:
    """CPU seconds so far per process kind, and per PostgreSQL backend of the system's database."""
    by_role = processes.cpu_seconds_by_role(system.process.pid)
    by_role["load generator"] = time.process_time()
    return by_role, processes.cpu_seconds_by_pid(postgres_backends(system.database))


def cpu_used_ms(before: tuple[dict[str, float], dict[int, float]], after: tuple[dict[str, float], dict[int, float]]) -> dict[str, float]:
    roles = {name: (seconds - before[0].get(name, 0.0)) * 1000 for name, seconds in after[0].items()}
    roles["postgres"] = sum(seconds - before[1].get(pid, 0.0) for pid, seconds in after[1].items()) * 1000
    return roles


def warm_up(system: ScaledSystem, run_id: str) -> None:
    """The mix once per instance's share of conversations, so no level pays for loading the encoders."""
    send = via_gateway(system.public)
    with requests.Session() as session:
        for conversation in range(2 * system.instances):
            for text in MIX:
                send(session, f"bench-{run_id}-scaled-warmup-{system.instances}-{conversation}", text)


def measure(workdir: Path, redis_url: str, max_requests: int, time_limit: float, run_id: str, extra_env: dict[str, str]) -> ScaledResults:
    results = ScaledResults(cores=os.cpu_count() or 1)
    systems: list[ScaledSystem] = []
    try:
        for name, instances in SETUPS.items():
            systems.append(launch(name, instances, workdir, redis_url, extra_env))
        wait_ready(systems)
        for system in systems:
            results.ready_s[system.name] = system.ready_s
            warm_up(system, run_id)
        for concurrency, paced in LOADS:
            for system in systems:
                target = f"scaled-{system.instances}"
                before = cpu_snapshot(system)
                level = run_level(target, via_gateway(system.public), MIX, concurrency, max_requests, time_limit, run_id, paced)
                level.cpu_ms = cpu_used_ms(before, cpu_snapshot(system))
                latency = level.latency
                print(
                    f"  {system.name:<12} x{concurrency:<2} {'paced' if paced else 'b2b  '} {level.sent} requests in "
                    f"{level.seconds:.1f} s: p50 {latency['p50']:.0f} ms, p95 {latency['p95']:.0f} ms, failed {level.failed}",
                    flush=True,
                )
                results.levels.append((system.name, level))
    finally:
        for system in systems:
            stop(system)
    return results
