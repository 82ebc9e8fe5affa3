"""gunicorn's settings for the gateway (the Procfile runs it with `--config python:assistant.gateway_gunicorn`).

gunicorn runs the processes; each worker serves HTTP with waitress
(assistant/gateway_worker.py), which reads whole requests before a thread
sees them, so slow or half-sent requests cannot hold the threads.

One worker process with threads by default. Each worker process keeps its own
rate-limit counts when they are in memory (`memory://`, the embedded default),
so with two workers a sender could send twice its limit (measured in
docs/BENCHMARKS.md, "Measurements behind design choices"). More workers need counts they
share: `ASSISTANT_RATELIMIT_STORAGE=redis://...`; gunicorn refuses to start
otherwise. A turn mostly waits for Rasa, so one process with threads keeps up
with far more conversations than Rasa serves (docs/BENCHMARKS.md).

This module sits outside the `assistant.gateway` package on purpose: gunicorn's
master process imports it, and importing anything in that package imports the
whole app. A master holding the app used several times the memory for nothing
(its workers import the app themselves; docs/BENCHMARKS.md), and a `kill -HUP` reload started
workers that inherited the old code from it.
"""

from __future__ import annotations

from assistant.rate_limit_storage import shares_counts
from core.config import Settings

# Read once, in the master; each worker's app reads its own (assistant.gateway.create_app).
_settings = Settings.from_env()
bind = f"{_settings.gateway_host}:{_settings.gateway_port}"
worker_class = "assistant.gateway_worker.WaitressWorker"
workers = _settings.gateway_workers
threads = _settings.gateway_threads
timeout = 60
# The read timeout: a connection that sends nothing for 75 s is closed, whether it is idle between requests or
# stopped mid-headers or mid-body. Long rather than short: a patient's next message or a proxy's pooled
# connection comes seconds later, and a close racing that request reaches it as a connection error. A silent
# connection waits in the worker's event loop, not in a thread. Keep it longer than a proxy's idle timeout.
keepalive = 75
# Open connections per worker (slow ones included); more wait in the listen backlog.
worker_connections = 1000
# No runtime control socket (gunicorn's default puts one in the home folder, shared by every gunicorn of the
# user, and it can change the worker count behind the check below); supervisord runs the process.
control_socket_disable = True


def on_starting(server) -> None:
    if server.cfg.workers > 1 and not shares_counts(_settings.ratelimit_storage):
        # gunicorn prints a RuntimeError's message and exits.
        raise RuntimeError(
            f"GATEWAY_WORKERS={server.cfg.workers} needs rate-limit counts the workers share: set "
            "ASSISTANT_RATELIMIT_STORAGE=redis://... (with memory://, each worker counts alone and "
            "a sender gets its limit once per worker)"
        )
