"""`python -m tooling.launcher MODEL`: run Rasa, the action server and the gateway together.

The processes listed in the Procfile run under supervisord: a process that
dies is restarted on its own while the others keep serving (the gateway
answers patients safely meanwhile), and Ctrl-C stops all three. Once every
health check answers, the URLs are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

from core.config import ROOT, Settings
from knowledge import review
from tooling.training import rasa_env


def environment(settings: Settings, model: Path) -> dict[str, str]:
    """The processes' environment: the settings (defaults filled in) as the variables the Procfile, Rasa and
    the children's own Settings.from_env() read."""
    env = rasa_env()
    env.update(
        RASA_PORT=str(settings.rasa_port),
        ACTION_PORT=str(settings.action_port),
        GATEWAY_HOST=settings.gateway_host,
        GATEWAY_PORT=str(settings.gateway_port),
        RASA_ENDPOINTS=settings.rasa_endpoints,
        TRACKER_DIALECT=settings.tracker_dialect,
        TRACKER_DB=settings.tracker_location,
        RASA_PYTHON=str(ROOT / ".venv-rasa" / "bin" / "python"),
        APP_BIN=str(ROOT / ".venv" / "bin"),
        RASA_MODEL=str(model),
        SANIC_HOST="127.0.0.1",
        ACTION_ENDPOINT_URL=f"http://127.0.0.1:{settings.action_port}/webhook",
        RASA_URL=f"http://127.0.0.1:{settings.rasa_port}",
        ACTION_SERVER_URL=f"http://127.0.0.1:{settings.action_port}",
        PYTHONUNBUFFERED="1",
    )
    if settings.gateway_host in ("127.0.0.1", "localhost"):
        # Plain http on this machine only: the inbox's Secure cookie would never come back.
        env.setdefault("ASSISTANT_INSECURE_COOKIES", "1")
    return env


def health_urls(env: dict[str, str]) -> dict[str, str]:
    gateway = f"http://{env['GATEWAY_HOST']}:{env['GATEWAY_PORT']}"
    return {
        "rasa": f"{env['RASA_URL']}/webhooks/rest/",
        "actions": f"{env['ACTION_SERVER_URL']}/health",
        "gateway": f"{gateway}/healthz",
    }


def wait_until_healthy(urls: dict[str, str], timeout: float) -> list[str]:
    """Poll until every URL answers 200; return the names still failing at the deadline."""
    pending = dict(urls)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for name, url in list(pending.items()):
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    del pending[name]
            except requests.RequestException:
                pass
        time.sleep(1)
    return sorted(pending)


def announce(env: dict[str, str], timeout: float) -> None:
    failing = wait_until_healthy(health_urls(env), timeout)
    gateway = f"http://{env['GATEWAY_HOST']}:{env['GATEWAY_PORT']}"
    if failing:
        print(f"\n!! not healthy after {timeout:.0f} s: {', '.join(failing)} (see the logs above)\n", flush=True)
        return
    print(
        "\n=== The assistant is running ===\n"
        f"  Chat demo: {gateway}/\n"
        f"  Chat API:  POST {gateway}/api/chat\n"
        f"  Inbox:     {gateway}/inbox/  (create a staff account first: see README)\n"
        f"  Health:    {gateway}/healthz\n"
        "  Stop:      Ctrl-C\n",
        flush=True,
    )


def procfile_commands(text: str, env: dict[str, str]) -> dict[str, str]:
    """'name: command' lines, with $VARIABLES filled from `env`."""
    commands = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line.strip())
        if match and not line.lstrip().startswith("#"):
            commands[match.group(1)] = re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), m.group(0)), match.group(2))
    return commands


def supervisord_config(commands: dict[str, str], run_dir: Path, environments: dict[str, dict[str, str]] | None = None) -> str:
    """supervisord's configuration for `commands` (name -> command line); `environments` adds variables of a
    program's own (make run-scaled's second gateway, Rasa server and action server)."""
    sections = [
        f"[supervisord]\nnodaemon=true\nlogfile=/dev/null\nlogfile_maxbytes=0\npidfile={run_dir / 'supervisord.pid'}\n",
        f"[unix_http_server]\nfile={run_dir / 'supervisor.sock'}\n",
        "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n",
        f"[supervisorctl]\nserverurl=unix://{run_dir / 'supervisor.sock'}\n",
    ]
    for name, command in commands.items():
        own = (environments or {}).get(name, {})
        variables = ",".join(f'{key}="{value.replace("%", "%%")}"' for key, value in own.items())
        sections.append(
            f"[program:{name}]\ncommand={command.replace('%', '%%')}\ndirectory={ROOT}\n"
            + (f"environment={variables}\n" if variables else "")
            + "autorestart=true\nstartsecs=2\nstartretries=5\nstopasgroup=true\nkillasgroup=true\nstopwaitsecs=15\n"
            "redirect_stderr=true\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\n"
        )
    return "\n".join(sections)


def supervise(config: Path, env: dict[str, str], started: Callable[[], None] = lambda: None) -> int:
    """Run supervisord on `config` until it exits (`started` is called once it is launched); Ctrl-C or SIGTERM
    stops it and its programs."""
    supervisor = subprocess.Popen([str(ROOT / ".venv" / "bin" / "supervisord"), "-c", str(config)], cwd=ROOT, env=env)
    started()

    def stop(signum, _frame):
        supervisor.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    return supervisor.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="the trained Rasa model (.tar.gz)")
    parser.add_argument("--ready-timeout", type=float, default=300)
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    review.enforce(settings, dt.date.today(), lambda line: print(line, flush=True))
    env = environment(settings, args.model.resolve())
    run_dir = settings.var_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    config = run_dir / "supervisord.conf"
    config.write_text(supervisord_config(procfile_commands((ROOT / "Procfile").read_text(), env), run_dir))
    return supervise(config, env, threading.Thread(target=announce, args=(env, args.ready_timeout), daemon=True).start)


if __name__ == "__main__":
    sys.exit(main())
