"""PostgreSQL and Redis on this machine, for replicas when no others are named.

Replicas share conversations through PostgreSQL and keep their order with Redis. A
deployment names its own servers (``DB_HOST``, ``REDIS_HOST``); without them the
launcher runs Debian's ``postgres`` and ``redis-server`` itself, on 127.0.0.1, as
side servers. PostgreSQL keeps its data in a folder (``.rasa-data/postgres``), so
conversations outlive a restart; Redis holds only locks, kept in memory.
PostgreSQL refuses to run as root: as root, it runs as the ``postgres`` user that
Debian's package creates.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.server.supervisor import Service

DATABASE = "rasa"
USER = "rasa"


class StoreSetupError(Exception):
    """A local store cannot be set up (a missing package, a failed ``initdb``)."""


def postgres_bin() -> Path:
    """The folder of the newest PostgreSQL server programs Debian installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if not found:
        raise StoreSetupError("PostgreSQL is missing: run `make replicas-install`")
    return found[-1].parent


def as_postgres_user(command: Sequence[str]) -> list[str]:
    """``command`` run as the ``postgres`` user when this process is root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


def run_tool(tool: str, *args: str) -> None:
    """Run one PostgreSQL program (``initdb``, ``pg_ctl``...); raise with its error output."""
    command = as_postgres_user([str(postgres_bin() / tool), *args])
    done = subprocess.run(command, capture_output=True, text=True, cwd="/tmp")
    if done.returncode != 0:
        raise StoreSetupError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}")


def listening(data: Path, port: int) -> list[str]:
    """The server options for 127.0.0.1:``port``, its Unix socket in ``data``."""
    return ["-p", str(port), "-h", "127.0.0.1", "-k", str(data)]


def pg_ctl(data: Path, action: str, port: int = 0) -> None:
    """Start (on 127.0.0.1:``port``) or stop the server of ``data``, and wait until done."""
    data = data.resolve()
    if action == "start":
        options = " ".join(listening(data, port))
        run_tool(
            "pg_ctl", "-D", str(data), "-l", str(data / "server.log"), "-o", options, "-w", "start"
        )
    else:
        run_tool("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")


def init_cluster(data: Path, port: int) -> None:
    """A new cluster in the empty folder ``data`` with the ``rasa`` database and user.

    Trust authentication, listening on 127.0.0.1 only; started on ``port`` for as long
    as it takes to create the database.
    """
    data = data.resolve()  # the tools run in /tmp, as the postgres user
    data.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    run_tool("initdb", "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8")
    pg_ctl(data, "start", port)
    try:
        run_tool("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", USER, DATABASE)
    finally:
        pg_ctl(data, "stop")


def postgres_service(data: Path, port: int, log: Path) -> Service:
    """A PostgreSQL server on 127.0.0.1:``port`` with its data in ``data`` (made if new).

    The cluster is made when the server starts (:func:`serve_postgres`), so that
    composing the servers changes nothing on disk.
    """
    command = [sys.executable, "-m", "bot.server.local_stores", str(data.resolve()), str(port)]
    return Service(
        "PostgreSQL server", command, port, "DB_PORT", log, health=f"tcp://127.0.0.1:{port}"
    )


def serve_postgres(data: Path, port: int) -> None:
    """Make the cluster in ``data`` if it is new, then become its server (never returns)."""
    if not (data / "PG_VERSION").exists():
        init_cluster(data, port)
    command = as_postgres_user(
        [str(postgres_bin() / "postgres"), "-D", str(data), *listening(data, port)]
    )
    os.execvp(command[0], command)


def redis_service(port: int, log: Path) -> Service:
    """A Redis server on 127.0.0.1:``port`` that keeps nothing on disk."""
    if shutil.which("redis-server") is None:
        raise StoreSetupError("redis-server is missing: run `make replicas-install`")
    command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port)]
    command += ["--save", "", "--appendonly", "no"]
    return Service(
        "Redis server", command, port, "REDIS_PORT", log, health=f"tcp://127.0.0.1:{port}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bot.server.local_stores DATA PORT``: the launcher's PostgreSQL server."""
    data, port = argv if argv is not None else sys.argv[1:]
    try:
        serve_postgres(Path(data), int(port))
    except StoreSetupError as error:
        print(f"ERROR {error}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
