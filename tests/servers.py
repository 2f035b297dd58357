"""Talk to the project's servers in end-to-end tests (started by :mod:`tools.stack`)."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import socketio
import yaml

from bot.server import local_stores
from bot.server.supervisor import answers
from tools.stack import ROOT, free_port

SOCKET = yaml.safe_load((ROOT / "credentials.yml").read_text())[
    "bot.channels.socketio.WebChatInput"
]
USER_EVENT, BOT_EVENT = SOCKET["user_message_evt"], SOCKET["bot_message_evt"]
REPLY_TIMEOUT = 120.0  # the first reply; two busy cores, and a long message takes a while
QUIET = 1.5  # seconds without a further bot message that end a socket.io reply


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

    Its data folder is a new folder under /tmp (pytest's own temporary folders are
    closed to the ``postgres`` user that runs it when the tests run as root), set up
    by :mod:`bot.server.local_stores`. :meth:`remove` deletes it all.
    """

    def __init__(self) -> None:
        self.data = Path(tempfile.mkdtemp(prefix="kb-postgres-"))
        self.port = free_port()
        local_stores.init_cluster(self.data, self.port)
        self.start()

    def start(self) -> None:
        local_stores.pg_ctl(self.data, "start", self.port)

    def stop(self) -> None:
        local_stores.pg_ctl(self.data, "stop")

    def remove(self) -> None:
        """Stop the server if it runs, and delete its data folder."""
        with contextlib.suppress(local_stores.StoreSetupError):
            self.stop()
        shutil.rmtree(self.data, ignore_errors=True)

    def env(self) -> dict[str, str]:
        """The settings that point `bot/server/endpoints.py` at this server."""
        # Trust authentication ignores the password, but Rasa needs ${DB_PASSWORD} set.
        unused = secrets.token_hex(8)
        return {"TRACKER_STORE": "postgres", "DB_PORT": str(self.port), "DB_PASSWORD": unused}


@contextlib.contextmanager
def redis_server() -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """A throwaway Redis server from Debian's packages, as the launcher runs it: its port
    and process (a test may stop it early)."""
    port = free_port()
    command = local_stores.redis_service(port, Path(os.devnull)).command
    process = subprocess.Popen(list(command), stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not answers(f"tcp://127.0.0.1:{port}"):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield port, process
    finally:
        process.terminate()
        process.wait(timeout=10)
