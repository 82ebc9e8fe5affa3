import socket


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_run(length: int) -> int:
    """A free port whose next `length - 1` ports are free too."""
    for _ in range(200):
        first = free_port()
        if all(_free(first + i) for i in range(1, length)):
            return first
    raise RuntimeError("no run of free ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
