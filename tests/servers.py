"""Start the project's servers for end-to-end tests: real processes on free ports."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import socketio
import yaml

from bot.server.endpoints import render, to_yaml

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "current.tar.gz"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# Rasa with the project's safe reply for a failing action server.
SERVE = [PYTHON, "-m", "bot.server.rasa_cli"]
# Rasa and the action server (and the page server), as `make run` starts them.
LAUNCH = [PYTHON, "-m", "bot.server.launch"]
# What the launcher prints; the servers' own logs sit beside it (rasa.log, actions.log...).
LAUNCH_LOG = "launch.log"
# Loading the model takes about a minute on 2 busy cores; leave room.
START_TIMEOUT = 420.0
SOCKET = yaml.safe_load((ROOT / "credentials.yml").read_text())[
    "bot.channels.socketio.WebChatInput"
]
USER_EVENT, BOT_EVENT = SOCKET["user_message_evt"], SOCKET["bot_message_evt"]
REPLY_TIMEOUT = 120.0  # the first reply; two busy cores, and a long message takes a while
QUIET = 1.5  # seconds without a further bot message that end a socket.io reply


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_endpoints(folder: Path, action_port: int) -> Path:
    """An endpoints file for the action server port, with a fresh SQLite tracker store."""
    path = folder / "endpoints.yml"
    env = {"ACTION_PORT": str(action_port), "SQLITE_PATH": str(folder / "tracker.db")}
    path.write_text(to_yaml(render(env)), encoding="utf-8")
    return path


def rasa_run(
    endpoints: Path,
    credentials: Path,
    port: int,
    *,
    with_actions: bool = True,
    page: bool = False,
) -> list[str]:
    """``rasa run`` with the trained model on 127.0.0.1:``port``.

    With the action server (``ACTION_PORT`` from the environment) and, if ``page``,
    the web page server (``WEB_PORT``), started by the launcher as ``make run`` does;
    each server then logs to its own file beside ``endpoints`` (``rasa.log``...).
    """
    rasa_args = ["-m", str(MODEL), "--endpoints", str(endpoints), "--credentials", str(credentials)]
    if not with_actions:
        return [*SERVE, "run", *rasa_args, "-i", "127.0.0.1", "-p", str(port)]
    settings = [f"RASA_PORT={port}", f"LOG_DIR={endpoints.parent}"]
    settings.append(f"START_TIMEOUT={START_TIMEOUT}")
    return ["env", *settings, *LAUNCH, *(["--page"] if page else []), "run", *rasa_args]


@contextmanager
def full_stack(
    folder: Path, env: Mapping[str, str]
) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """Rasa (trained model, the project's credentials) and the action server, ready.

    Yields the Rasa URL, the launcher's process and Rasa's log, both servers stopped
    afterwards.
    """
    rasa_port, action_port = free_port(), free_port()
    endpoints = write_endpoints(folder, action_port)
    log = folder / LAUNCH_LOG
    url = f"http://127.0.0.1:{rasa_port}"
    command = rasa_run(endpoints, ROOT / "credentials.yml", rasa_port)
    with running(command, {"ACTION_PORT": str(action_port), **env}, log) as process:
        wait_for_http(f"{url}/webhooks/rest/", process, log)
        yield url, process, folder / "rasa.log"


def log_tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def logs_tail(log: Path, lines: int = 40) -> str:
    """The end of ``log`` and of every other log in its folder."""
    return "\n".join(
        f"--- {path.name}\n{log_tail(path, lines)}"
        for path in sorted({log, *log.parent.glob("*.log")})
    )


def wait_for_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until ``url`` answers 200, failing early with the log if the process died."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"servers exited ({process.returncode}):\n{logs_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} did not answer in {START_TIMEOUT:.0f} s:\n{logs_tail(log)}")


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


def say(url: str, sender: str, text: str, timeout: float = 60.0) -> list[str]:
    """Send ``text`` over the REST channel of the Rasa server at ``url``; the reply texts."""
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return [m["text"] for m in json.loads(reply.read()) if "text" in m]


class SocketChat:
    """One visitor on the socket.io channel, as the web widget talks to it."""

    def __init__(self, url: str, origin: str, disclaimer: str) -> None:
        """Connect to the server at ``url`` as a page from ``origin``."""
        self.client = socketio.Client(reconnection=False, handle_sigint=False)
        self.replies: queue.Queue[Any] = queue.Queue()
        self.confirmed: queue.Queue[Any] = queue.Queue()
        self.disclaimer = disclaimer.strip()
        self.client.on(BOT_EVENT, self.replies.put)
        self.client.on("session_confirm", self.confirmed.put)
        self.client.connect(
            url, headers={"Origin": origin}, transports=["polling"], wait_timeout=30
        )

    def start_session(self, session_id: Any = None) -> Any:
        """Ask for a session (the widget sends its stored id, or none); the id confirmed."""
        self.client.emit("session_request", {"session_id": session_id})
        return self.confirmed.get(timeout=30)

    def send(self, payload: Any) -> list[Any]:
        """Emit ``payload`` as a user message; the bot messages sent back.

        Waits for the first one that is not the session's disclaimer, then until no
        more come for :data:`QUIET` seconds.
        """
        self.client.emit(USER_EVENT, payload)
        got = [self.replies.get(timeout=REPLY_TIMEOUT)]
        while message_text(got[-1]) == self.disclaimer:
            got.append(self.replies.get(timeout=REPLY_TIMEOUT))
        while True:
            try:
                got.append(self.replies.get(timeout=QUIET))
            except queue.Empty:
                return got

    def close(self) -> None:
        # Close the Engine.IO session without waiting for the client's pending long
        # poll, which the server only ends at its next ping (25 s).
        self.client.eio.disconnect(abort=True)


def message_text(message: Any) -> str:
    """The text of a socket.io bot message (or the repr of something else)."""
    return str(message.get("text", "")) if isinstance(message, dict) else repr(message)


class Postgres:
    """A throwaway PostgreSQL server from Debian's packages (`make test-install`).

    Its data folder is a new folder under /tmp, owned by the ``postgres`` user when
    the tests run as root (PostgreSQL refuses to run as root, and pytest's own
    temporary folders are closed to other users). Trust authentication on
    127.0.0.1 only; database ``rasa``, user ``rasa``. :meth:`remove` deletes it all.
    """

    def __init__(self) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
        assert found, "PostgreSQL is missing: run `make test-install`"
        self.bin = found[-1].parent
        self.data = Path(tempfile.mkdtemp(prefix="kb-postgres-"))
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "rasa", "--auth=trust", "-E", "UTF8")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "rasa", "rasa")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd="/tmp")
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}")

    def start(self) -> None:
        options = f"-p {self.port} -h 127.0.0.1 -k {self.data}"
        log = str(self.data / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        """Stop the server if it runs, and delete its data folder."""
        with contextlib.suppress(RuntimeError):
            self.stop()
        shutil.rmtree(self.data, ignore_errors=True)

    def env(self) -> dict[str, str]:
        """The settings that point `bot/server/endpoints.py` at this server."""
        # Trust authentication ignores the password, but Rasa needs ${DB_PASSWORD} set.
        unused = secrets.token_hex(8)
        return {"TRACKER_STORE": "postgres", "DB_PORT": str(self.port), "DB_PASSWORD": unused}
