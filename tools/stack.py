"""Start the whole stack for a test or a benchmark: real servers on free ports.

The launcher (:mod:`bot.server.launch`, as ``make run`` uses it) starts the action
server (and the page server) and then Rasa with the trained model; :func:`started`
gives it free ports and a fresh SQLite tracker store in a folder, waits until Rasa
answers, and stops every server afterwards. With ``replicas`` it starts that many Rasa
replicas behind the load balancer instead, as ``make run REPLICAS=N`` does, with their
own PostgreSQL and Redis servers unless ``env`` names others.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.server.endpoints import render, to_yaml
from bot.server.supervisor import answers, log_tail

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "current.tar.gz"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# Rasa alone, with the project's patches (the safe reply for a failing action server).
SERVE = [PYTHON, "-m", "bot.server.rasa_cli"]
# Rasa and the action server (and the page server), as `make run` starts them.
LAUNCH = [PYTHON, "-m", "bot.server.launch"]
# What the launcher prints; the servers' own logs sit beside it (rasa.log, actions.log...).
LAUNCH_LOG = "launch.log"
# Loading the model takes about a minute on 2 busy cores; leave room.
START_TIMEOUT = 420.0


@dataclass(frozen=True)
class Stack:
    """Servers started by :func:`started`."""

    url: str
    rasa_port: int
    action_port: int
    web_port: int | None
    folder: Path
    process: subprocess.Popen[bytes]
    rasa_log: Path
    """Rasa's own log (the launcher's output when Rasa runs alone; replica 1's log)."""
    replica_ports: tuple[int, ...] = ()
    settings: Mapping[str, str] = field(default_factory=dict)
    """What the servers were given: ports, stores."""

    def replica_url(self, index: int) -> str:
        """The URL of one replica (0-based), past the load balancer."""
        return f"http://127.0.0.1:{self.replica_ports[index]}"

    @property
    def origin(self) -> str:
        """The web page server's origin (with ``page``)."""
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def page_url(self) -> str:
        """The web chat page (with ``page``)."""
        return f"{self.origin}/"

    @property
    def log(self) -> Path:
        """The launcher's output (or Rasa's, when it runs alone)."""
        return self.folder / LAUNCH_LOG


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_endpoints(folder: Path, action_port: int, env: Mapping[str, str] = {}) -> Path:
    """An endpoints file for the action server port, with a fresh SQLite tracker store.

    ``env`` may choose another tracker store (``TRACKER_STORE=postgres`` and its settings).
    """
    path = folder / "endpoints.yml"
    settings = {"SQLITE_PATH": str(folder / "tracker.db"), **env, "ACTION_PORT": str(action_port)}
    path.write_text(to_yaml(render(settings)), encoding="utf-8")
    return path


@contextmanager
def started(
    folder: Path,
    env: Mapping[str, str] = {},
    *,
    actions: bool = True,
    page: bool = False,
    credentials: Path = ROOT / "credentials.yml",
    rasa_args: Sequence[str] = (),
    ready: str = "/webhooks/rest/",
    replicas: int = 0,
) -> Iterator[Stack]:
    """Rasa and its action server (unless not ``actions``), ready when Rasa answers ``ready``.

    With ``page``, the web page server too. ``env`` reaches the servers and chooses the
    tracker store (see :func:`write_endpoints`). Without ``actions`` nothing listens on
    the action port until a test puts it there. With ``replicas`` (1 or more), ``folder``
    must be open to the ``postgres`` user when the launcher runs PostgreSQL itself.
    """
    assert actions or not page, "the launcher starts the page server with the action server"
    assert actions or not replicas, "replicas are started by the launcher"
    rasa_port, action_port, web_port = free_port(), free_port(), free_port()
    replica_ports = tuple(free_port() for _ in range(replicas))
    if replica_ports:
        env = {**replica_settings(replica_ports), **env}
    endpoints = write_endpoints(folder, action_port, env)
    rasa = ["-m", str(MODEL), "--endpoints", str(endpoints), "--credentials", str(credentials)]
    settings = {
        # The page's origin is the one the socket.io channel lets in, as with `make web`.
        **({"WEB_ORIGINS": f"http://127.0.0.1:{web_port}"} if page else {}),
        **env,
        "RASA_PORT": str(rasa_port),
        "ACTION_PORT": str(action_port),
        "WEB_PORT": str(web_port),
        "LOG_DIR": str(folder),
        "START_TIMEOUT": str(START_TIMEOUT),
    }
    if actions:
        command = [*LAUNCH, *(["--page"] if page else []), "run", *rasa, *rasa_args]
    else:
        command = [*SERVE, "run", *rasa, "-i", "127.0.0.1", "-p", str(rasa_port), *rasa_args]
    url = f"http://127.0.0.1:{rasa_port}"
    log = folder / LAUNCH_LOG
    rasa_log = folder / ("rasa-1.log" if replica_ports else "rasa.log") if actions else log
    with running(command, settings, log) as process:
        wait_for_http(url + ready, process, log)
        yield Stack(
            url,
            rasa_port,
            action_port,
            web_port if page else None,
            folder,
            process,
            rasa_log,
            replica_ports,
            settings,
        )


def replica_settings(ports: Sequence[int]) -> dict[str, str]:
    """Replicas on ``ports``, sharing PostgreSQL and Redis that the launcher starts."""
    return {
        "REPLICAS": str(len(ports)),
        "REPLICA_PORTS": ",".join(map(str, ports)),
        "TRACKER_STORE": "postgres",
        "LOCK_STORE": "redis",
        "DB_PORT": str(free_port()),
        "REDIS_PORT": str(free_port()),
    }


@contextmanager
def running(
    command: Sequence[str], env: Mapping[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` in its own process group; end the whole group afterwards."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(command),
            cwd=ROOT,
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            stop_group(process)


def stop_group(process: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after ``grace`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            process.poll()  # reap the leader so the group can empty
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
    process.wait(timeout=10)


def wait_for_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until ``url`` answers 200, failing early with the logs if the process died."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"servers exited ({process.returncode}):\n{logs_tail(log)}")
        if answers(url):
            return
        time.sleep(1)
    raise RuntimeError(f"{url} did not answer in {START_TIMEOUT:.0f} s:\n{logs_tail(log)}")


def logs_tail(log: Path, lines: int = 40) -> str:
    """The end of ``log`` and of every other log in its folder."""
    return "\n".join(
        f"--- {path.name}\n{log_tail(path, lines)}"
        for path in sorted({log, *log.parent.glob("*.log")})
    )
