"""`python -m assistant.launcher MODEL`: run Rasa, the action server and the gateway together.

The processes are supervised by honcho (from the Procfile): their output is
prefixed with their name, Ctrl-C stops all three, and if one dies the others
are stopped too. Once every health check answers, the URLs are printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import requests
from honcho.environ import parse_procfile
from honcho.manager import Manager
from honcho.printer import Printer

from assistant.config import ROOT, Settings
from assistant.training import rasa_env


def environment(settings: Settings, model: Path) -> dict[str, str]:
    env = rasa_env()
    env.setdefault("RASA_PORT", "5005")
    env.setdefault("ACTION_PORT", "5055")
    env.setdefault("GATEWAY_HOST", "127.0.0.1")
    env.setdefault("GATEWAY_PORT", "8000")
    env.update(
        RASA_BIN=str(ROOT / ".venv-rasa" / "bin" / "rasa"),
        APP_BIN=str(ROOT / ".venv" / "bin"),
        RASA_MODEL=str(model),
        SANIC_HOST="127.0.0.1",
        ACTION_ENDPOINT_URL=f"http://127.0.0.1:{env['ACTION_PORT']}/webhook",
        RASA_URL=f"http://127.0.0.1:{env['RASA_PORT']}",
        ACTION_SERVER_URL=f"http://127.0.0.1:{env['ACTION_PORT']}",
        PYTHONUNBUFFERED="1",
    )
    env.setdefault("RASA_ENDPOINTS", "endpoints.yml")
    if env["GATEWAY_HOST"] in ("127.0.0.1", "localhost"):
        # Plain http on this machine only: the inbox's Secure cookie would never come back.
        env.setdefault("ASSISTANT_INSECURE_COOKIES", "1")
    env.setdefault("TRACKER_DIALECT", "sqlite")
    env.setdefault("TRACKER_DB", str(settings.var_dir / "rasa_tracker.db"))
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="the trained Rasa model (.tar.gz)")
    parser.add_argument("--ready-timeout", type=float, default=300)
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    env = environment(settings, args.model.resolve())
    procfile = parse_procfile((ROOT / "Procfile").read_text())
    manager = Manager(Printer(sys.stdout))
    for name, command in procfile.processes.items():
        manager.add_process(name, command, env=env, cwd=str(ROOT))
    threading.Thread(target=announce, args=(env, args.ready_timeout), daemon=True).start()
    os.chdir(ROOT)
    manager.loop()
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
