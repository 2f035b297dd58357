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
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.core.clinic import ProfileError, load_profile, profile_path
from bot.server.supervisor import Service, Supervisor

DEFAULT_PORTS = {"RASA_PORT": 5005, "ACTION_PORT": 5055, "WEB_PORT": 8080}
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


def services(
    mode: str, rasa_args: Sequence[str], page: bool, env: Mapping[str, str]
) -> tuple[list[Service], Service]:
    """The side servers and the main server for ``mode``.

    Rasa is the main server for ``run`` and ``shell``; ``actions`` runs the action server alone.
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
    sides = [actions]
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
    main = Service(
        "Rasa server",
        [*rasa, "-i", "127.0.0.1", "-p", str(rasa_port)],
        rasa_port,
        "RASA_PORT",
        logs / "rasa.log",
        health=f"http://127.0.0.1:{rasa_port}/webhooks/rest/" if mode == "run" else None,
        interactive=mode == "shell",
    )
    return sides, main


def banner(sides: Sequence[Service], main: Service) -> str:
    """What to tell the person once every server is ready (``rasa shell`` says it itself)."""
    if main.interactive:
        return ""
    if main.setting == "ACTION_PORT":
        return f"Action server on http://127.0.0.1:{main.port}.\nCtrl-C stops it."
    lines = [f"Serving on http://127.0.0.1:{main.port} (REST: /webhooks/rest/webhook)."]
    for side in sides:
        if side.setting == "WEB_PORT":
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
    sides, rasa = services(args.mode, args.rasa_args, args.page, env)
    timeout = float(env.get("START_TIMEOUT") or DEFAULT_START_TIMEOUT)
    supervisor = Supervisor()
    return supervisor.run(sides, rasa, timeout, banner(sides, rasa))


if __name__ == "__main__":
    sys.exit(main())
