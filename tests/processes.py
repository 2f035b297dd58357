"""What a command left running: its processes and listening ports, seen from outside."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable

import psutil


def family(pid: int) -> set[psutil.Process]:
    """``pid`` and every process below it, now."""
    try:
        root = psutil.Process(pid)
        return {root, *root.children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def alive(processes: Iterable[psutil.Process]) -> list[str]:
    """The command lines of those ``processes`` still running (zombies count as gone)."""
    left = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{process.pid}: {' '.join(process.cmdline())[:120]}")
        except psutil.NoSuchProcess:
            pass
    return left


def listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def leftovers(
    processes: Iterable[psutil.Process], ports: Iterable[int], wait: float = 10.0
) -> list[str]:
    """What is still running or listening after up to ``wait`` seconds; empty when clean."""
    processes, ports = list(processes), list(ports)
    deadline = time.monotonic() + wait
    while True:
        left = alive(processes) + [f"port {p} listening" for p in ports if listening(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)
