"""Stand-in servers under the real supervisor, for its tests.

    python -m tests.fake_stack --logs DIR --main PORT [--side PORT] [--silent PORT]
        [--replica PORT] [--crash-loop SECONDS]

Each ``--side`` is a small HTTP server that also starts a child of its own (so that
stopping must reach grandchildren); ``--silent`` listens nowhere and never becomes
ready; the ``--replica`` servers start together and are restarted when they end;
``--main`` is an HTTP server too. Prints the supervisor's lines and exits
with its code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.server.supervisor import Service, Stage, Supervisor

PYTHON = sys.executable


def http_server(name: str, port: int, logs: Path, restart: bool = False) -> Service:
    """A side server on ``port`` with a ``sleep`` child in its process group."""
    serve = f"{PYTHON} -m http.server --bind 127.0.0.1 {port}"
    return Service(
        name,
        ["bash", "-c", f"sleep 600 & exec {serve}"],
        port,
        f"{name.upper()}_PORT",
        logs / f"{name}.log",
        health=f"http://127.0.0.1:{port}/",
        restart=restart,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logs", type=Path, required=True)
    parser.add_argument("--main", type=int, required=True)
    parser.add_argument("--side", type=int, action="append", default=[])
    parser.add_argument("--silent", type=int)
    parser.add_argument("--replica", type=int, action="append", default=[])
    parser.add_argument("--crash-loop", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    sides: list[Stage] = [
        http_server(f"side{i}", port, args.logs) for i, port in enumerate(args.side)
    ]
    if args.replica:
        sides.append(
            [http_server(f"replica{i}", p, args.logs, True) for i, p in enumerate(args.replica)]
        )
    if args.silent:
        sides.append(
            Service(
                "silent",
                [PYTHON, "-c", "import time; print('warming up', flush=True); time.sleep(600)"],
                args.silent,
                "SILENT_PORT",
                args.logs / "silent.log",
                health=f"http://127.0.0.1:{args.silent}/",
            )
        )
    main_server = http_server("main", args.main, args.logs)
    supervisor = Supervisor(grace=5.0, crash_loop=args.crash_loop)
    return supervisor.run(sides, main_server, args.timeout, "all ready")


if __name__ == "__main__":
    sys.exit(main())
