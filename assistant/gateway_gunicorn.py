"""gunicorn's settings for the gateway (the Procfile runs it with `--config python:assistant.gateway_gunicorn`).

One worker process with threads by default. Each worker process keeps its own
rate-limit counts when they are in memory (`memory://`, the embedded default),
so with two workers a sender could send twice its limit (measured: 38 of 40
messages in a minute passed a 20-a-minute limit). More workers need counts they
share: `ASSISTANT_RATELIMIT_STORAGE=redis://...`; gunicorn refuses to start
otherwise. A turn mostly waits for Rasa, so one process with threads keeps up
with far more conversations than Rasa serves (docs/BENCHMARKS.md).

This module sits outside the `assistant.gateway` package on purpose: gunicorn's
master process imports it, and importing anything in that package imports the
whole app. A master holding the app took 77 MB instead of 23 MB for nothing
(its workers import the app themselves), and a `kill -HUP` reload started
workers that inherited the old code from it.
"""

from __future__ import annotations

import os

from assistant.rate_limit_storage import rate_limit_storage, shares_counts

bind = f"{os.environ.get('GATEWAY_HOST', '127.0.0.1')}:{os.environ.get('GATEWAY_PORT', '8000')}"
workers = int(os.environ.get("GATEWAY_WORKERS", "1"))
threads = int(os.environ.get("GATEWAY_THREADS", "8"))
timeout = 60
# An idle connection stays open 75 s (gunicorn's default is 2 s): a patient's next message or a proxy's pooled
# connection comes seconds later, and a close racing that request reaches it as a connection error. Idle
# connections wait in each worker's poller, not in a thread. Keep it longer than a proxy's idle timeout in front.
keepalive = 75
# No runtime control socket (gunicorn's default puts one in the home folder, shared by every gunicorn of the
# user, and it can change the worker count behind the check below); supervisord runs the process.
control_socket_disable = True


def on_starting(server) -> None:
    if server.cfg.workers > 1 and not shares_counts(rate_limit_storage()):
        # gunicorn prints a RuntimeError's message and exits.
        raise RuntimeError(f"GATEWAY_WORKERS={server.cfg.workers} needs rate-limit counts the workers share: set "
                           "ASSISTANT_RATELIMIT_STORAGE=redis://... (with memory://, each worker counts alone and "
                           "a sender gets its limit once per worker)")
