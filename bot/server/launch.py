"""Start the assistant as one command: the action server, the web page, then Rasa.

    python -m bot.server.launch [--page] {run,shell,actions} [RASA ARGUMENTS...]

``make run``, ``make chat`` and ``make web`` start the stack this way, and so do the
server tests; ``make actions`` starts the action server alone (mode ``actions``). The
action server listens on ``ACTION_PORT``, the page server (with ``--page``) on
``WEB_PORT``, and Rasa (:mod:`bot.server.rasa_cli`, with the arguments given) on
``RASA_PORT``, all on 127.0.0.1. Each server's output goes to its log in ``LOG_DIR``
(``actions.log``, ``web.log``, ``rasa.log``), so the terminal shows one line per stage;
``rasa shell`` keeps the screen and keyboard. :class:`bot.server.supervisor.Supervisor`
stops them all together, however the command ends. The clinic profile
(:mod:`bot.core.clinic`) is checked first: a wrong field stops the command before
anything starts.

With ``REPLICAS`` above 1, ``run`` starts that many Rasa servers (on ``REPLICA_PORTS``,
comma-separated, or the ports after ``RASA_PORT``) behind HAProxy on ``RASA_PORT``
(:mod:`bot.server.balancer`). They share conversations through PostgreSQL and keep
each conversation's messages in order with the Redis lock store, so they need
``TRACKER_STORE=postgres`` and ``LOCK_STORE=redis``; without ``DB_HOST`` or
``REDIS_HOST`` the launcher runs those servers too (:mod:`bot.server.local_stores`).
A replica that stops is started again while the others answer.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.core.clinic import ProfileError, load_profile, profile_path
from bot.server import local_stores
from bot.server.balancer import HEALTH_PATH, haproxy_config
from bot.server.supervisor import Service, Stage, Supervisor

DEFAULT_PORTS = {
    "RASA_PORT": 5005,
    "ACTION_PORT": 5055,
    "WEB_PORT": 8080,
    "DB_PORT": 5432,
    "REDIS_PORT": 6379,
}
# Loading the model takes about a minute on an idle 2-core machine, three on a busy one.
DEFAULT_START_TIMEOUT = 300.0


def port(env: Mapping[str, str], setting: str) -> int:
    """The port chosen by ``setting`` in ``env``, or its default."""
    value = env.get(setting) or str(DEFAULT_PORTS[setting])
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"ERROR {setting}={value!r} is not a port number") from None
    if not 0 < number < 65536:
        raise SystemExit(f"ERROR {setting}={value} is not a port number (1-65535)")
    return number


def replica_ports(env: Mapping[str, str]) -> list[int]:
    """The port of each Rasa replica behind the balancer.

    None when ``REPLICAS`` is 1 (Rasa itself on ``RASA_PORT``), unless ``REPLICA_PORTS``
    names a port for it: one replica behind the balancer, to compare with more.
    """
    value = env.get("REPLICAS") or "1"
    if not value.isdigit() or not 1 <= int(value) <= 16:
        raise SystemExit(f"ERROR REPLICAS={value!r} is not a number of replicas (1-16)")
    count = int(value)
    listed = [p.strip() for p in (env.get("REPLICA_PORTS") or "").split(",") if p.strip()]
    if not listed:
        first = port(env, "RASA_PORT") + 1
        return list(range(first, first + count)) if count > 1 else []
    if len(listed) != count:
        raise SystemExit(f"ERROR REPLICA_PORTS names {len(listed)} ports for REPLICAS={count}")
    return [port({"REPLICA_PORTS": p}, "REPLICA_PORTS") for p in listed]


def stores(env: Mapping[str, str], logs: Path) -> list[Service]:
    """The local PostgreSQL and Redis servers replicas need, unless others are named."""
    if env.get("TRACKER_STORE") != "postgres" or env.get("LOCK_STORE") != "redis":
        raise SystemExit(
            "ERROR Replicas share conversations: REPLICAS needs TRACKER_STORE=postgres "
            "and LOCK_STORE=redis (make run sets them)."
        )
    local = []
    if not env.get("DB_HOST"):
        db_port = port(env, "DB_PORT")
        local.append(
            local_stores.postgres_service(logs / "postgres", db_port, logs / "postgres.log")
        )
    if not env.get("REDIS_HOST"):
        local.append(local_stores.redis_service(port(env, "REDIS_PORT"), logs / "redis.log"))
    return local


def balancer(rasa_port: int, replicas: Sequence[int], logs: Path) -> Service:
    """HAProxy on ``rasa_port`` in front of the ``replicas``; writes its configuration."""
    if shutil.which("haproxy") is None:
        raise SystemExit("ERROR haproxy is missing: run `make replicas-install`")
    config = logs / "haproxy.cfg"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        haproxy_config(rasa_port, [("127.0.0.1", r) for r in replicas]), encoding="utf-8"
    )
    return Service(
        "load balancer",
        ["haproxy", "-db", "-f", str(config)],
        rasa_port,
        "RASA_PORT",
        logs / "haproxy.log",
        health=f"http://127.0.0.1:{rasa_port}{HEALTH_PATH}",
    )


def services(
    mode: str, rasa_args: Sequence[str], page: bool, env: Mapping[str, str]
) -> tuple[list[Stage], Service]:
    """The side servers and the main server for ``mode``.

    Rasa is the main server for ``run`` and ``shell``, or the load balancer in front of
    its replicas; ``actions`` runs the action server alone. Raises
    :class:`~bot.server.local_stores.StoreSetupError` when a local store cannot be set up.
    """
    logs = Path(env.get("LOG_DIR") or ".rasa-data")
    python = sys.executable
    action_port = port(env, "ACTION_PORT")
    actions = Service(
        "action server",
        [python, "-m", "rasa", "run", "actions", "--port", str(action_port)],
        action_port,
        "ACTION_PORT",
        logs / "actions.log",
        health=f"http://127.0.0.1:{action_port}/health",
        # rasa-sdk 3.6 has no flag for the interface; it reads SANIC_HOST.
        env={"SANIC_HOST": "127.0.0.1"},
    )
    if mode == "actions":
        return [], actions
    rasa_port = port(env, "RASA_PORT")
    replicas = replica_ports(env) if mode == "run" else []
    sides: list[Stage] = [*(stores(env, logs) if replicas else []), actions]
    if page:
        web_port = port(env, "WEB_PORT")
        sides.append(
            Service(
                "web page server",
                [python, "-m", "bot.web.serve", "--port", str(web_port)],
                web_port,
                "WEB_PORT",
                logs / "web.log",
                health=f"http://127.0.0.1:{web_port}/",
                env={"RASA_URL": env.get("RASA_URL") or f"http://127.0.0.1:{rasa_port}"},
            )
        )
    rasa = [python, "-m", "bot.server.rasa_cli", mode, *rasa_args]
    if replicas:
        sides.append(
            [
                Service(
                    f"Rasa replica {i}",
                    [*rasa, "-i", "127.0.0.1", "-p", str(replica)],
                    replica,
                    "REPLICA_PORTS",
                    logs / f"rasa-{i}.log",
                    health=f"http://127.0.0.1:{replica}{HEALTH_PATH}",
                    restart=True,
                )
                for i, replica in enumerate(replicas, 1)
            ]
        )
        return sides, balancer(rasa_port, replicas, logs)
    main = Service(
        "Rasa server",
        [*rasa, "-i", "127.0.0.1", "-p", str(rasa_port)],
        rasa_port,
        "RASA_PORT",
        logs / "rasa.log",
        health=f"http://127.0.0.1:{rasa_port}{HEALTH_PATH}" if mode == "run" else None,
        interactive=mode == "shell",
    )
    return sides, main


def banner(sides: Sequence[Stage], main: Service) -> str:
    """What to tell the person once every server is ready (``rasa shell`` says it itself)."""
    if main.interactive:
        return ""
    if main.setting == "ACTION_PORT":
        return f"Action server on http://127.0.0.1:{main.port}.\nCtrl-C stops it."
    lines = [f"Serving on http://127.0.0.1:{main.port} (REST: /webhooks/rest/webhook)."]
    replicas = [s for stage in sides if not isinstance(stage, Service) for s in stage]
    if replicas:
        lines.append(f"{len(replicas)} Rasa replicas behind the load balancer.")
    for side in sides:
        if isinstance(side, Service) and side.setting == "WEB_PORT":
            lines.append(f"Open http://127.0.0.1:{side.port}/ for the web chat.")
    lines.append("Ctrl-C stops everything.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, start the stack and return its exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot.server.launch", description=__doc__)
    parser.add_argument("--page", action="store_true", help="serve the web chat page too")
    parser.add_argument("mode", choices=["run", "shell", "actions"])
    parser.add_argument("rasa_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    try:
        profile = load_profile()
    except ProfileError as error:
        print(f"ERROR {error}. Not starting: fix the clinic profile (docs/clinic.md).")
        return 2
    clinic = profile.clinic.name if profile.clinic else "none, answers stay general"
    print(f"Clinic: {clinic} ({profile_path()}).")
    env = dict(os.environ)
    try:
        sides, rasa = services(args.mode, args.rasa_args, args.page, env)
    except local_stores.StoreSetupError as error:
        print(f"ERROR {error}")
        return 2
    timeout = float(env.get("START_TIMEOUT") or DEFAULT_START_TIMEOUT)
    supervisor = Supervisor()
    return supervisor.run(sides, rasa, timeout, banner(sides, rasa))


if __name__ == "__main__":
    sys.exit(main())
