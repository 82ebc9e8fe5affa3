"""Free ports for the servers a test starts.

They are taken below the kernel's ephemeral range: a port in it that is free when picked can be given to any
outgoing connection (a PostgreSQL client, a proxied Redis connection) before the server binds it, and the
server then fails with "address already in use" (seen with the scaled kill test's proxies). The choice is
random from the operating system's source, not `random`'s, which the test runner seeds alike in every worker.
"""

import random
import socket
from pathlib import Path

_CHOOSE = random.SystemRandom()
LOWEST = 20000


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


SERVER_PORTS = range(LOWEST, max(LOWEST + 1000, _ephemeral_start()))


def free_port() -> int:
    return free_run(1)


def free_run(length: int) -> int:
    """A free port whose next `length - 1` ports are free too, below the ephemeral range."""
    for _ in range(500):
        first = _CHOOSE.randrange(SERVER_PORTS.start, SERVER_PORTS.stop - length)
        if all(_free(first + i) for i in range(length)):
            return first
    raise RuntimeError("no run of free ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
