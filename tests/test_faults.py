"""Faults, against real processes: the action server down or hanging, a Rasa restart,
and a tracker store that cannot be reached."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.core.content import Library
from bot.server.endpoints import render, to_yaml
from bot.server.launch import services
from bot.server.supervisor import Service, log_tail
from tests.servers import Postgres, say
from tools.stack import MODEL, ROOT, SERVE, free_port, running, started, wait_for_http
from tools.tracker_db import EVENTS, open_store, store_url

ACTION_TIMEOUT = 2.0
# The action call is tried at most twice per message (session start, then the answer).
REPLY_BUDGET = 2 * ACTION_TIMEOUT + 6.0


def words(text: str, count: int = 8) -> str:
    return " ".join(text.split()[:count])


def joined(replies: list[str]) -> str:
    return " ".join(" ".join(replies).split())


@dataclass(frozen=True)
class Server:
    url: str
    action_port: int
    folder: Path


@pytest.fixture(scope="module")
def without_actions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Rasa alone: its action server port has nothing on it unless a test puts it there."""
    assert MODEL.exists(), "train first: make train"
    folder = tmp_path_factory.mktemp("faults")
    with started(folder, {"ACTION_TIMEOUT": str(ACTION_TIMEOUT)}, actions=False) as stack:
        yield Server(stack.url, stack.action_port, folder)


@contextmanager
def hanging_server(port: int) -> Iterator[None]:
    """A server on ``port`` that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", port))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def timed_say(url: str, sender: str, text: str) -> tuple[str, float]:
    start = time.monotonic()
    replies = say(url, sender, text, timeout=60)
    return joined(replies), time.monotonic() - start


@pytest.mark.model
def test_a_question_gets_the_safe_reply_when_the_action_server_is_down(
    without_actions: Server, library: Library
) -> None:
    reply, seconds = timed_say(without_actions.url, "down-1", "what is ketamine?")
    assert words(library.messages["action_unavailable"]["us"]) in reply
    assert "988" in reply
    assert seconds < REPLY_BUDGET


@pytest.mark.model
def test_a_new_conversation_still_starts_with_the_disclaimer_when_the_action_server_is_down(
    without_actions: Server, library: Library
) -> None:
    reply, _ = timed_say(without_actions.url, "down-2", "hello")
    assert reply.startswith(words(library.messages["disclaimer"]["us"]))


@pytest.mark.model
def test_a_question_gets_the_safe_reply_in_seconds_when_the_action_server_hangs(
    without_actions: Server, library: Library
) -> None:
    with hanging_server(without_actions.action_port):
        reply, seconds = timed_say(without_actions.url, "hang-1", "how is spravato given?")
    assert words(library.messages["action_unavailable"]["us"]) in reply
    assert seconds < REPLY_BUDGET


@pytest.mark.model
def test_crisis_is_answered_at_once_while_the_action_server_hangs(
    without_actions: Server, domain: dict
) -> None:
    crisis = domain["responses"]["utter_crisis"][0]["text"]
    with hanging_server(without_actions.action_port):
        timed_say(without_actions.url, "hang-2", "hi")  # the session start waits once
        reply, seconds = timed_say(without_actions.url, "hang-2", "i want to kill myself")
    assert words(crisis) in reply
    assert "988" in reply
    assert seconds < 2.0  # the crisis reply is a response: no action server call at all


@pytest.mark.model
def test_an_emergency_card_is_answered_at_once_while_the_action_server_hangs(
    without_actions: Server,
) -> None:
    with hanging_server(without_actions.action_port):
        timed_say(without_actions.url, "hang-3", "hi")  # the session start waits once
        reply, seconds = timed_say(
            without_actions.url, "hang-3", "my boyfriend took ketamine and won't wake up"
        )
    assert reply.startswith("Call 911 now.")
    assert seconds < 2.0


@pytest.mark.model
def test_answers_come_back_when_the_action_server_is_back(
    without_actions: Server, library: Library
) -> None:
    sides, _ = services("run", [], False, {"ACTION_PORT": str(without_actions.action_port)})
    actions = sides[0]
    assert isinstance(actions, Service)
    log = without_actions.folder / "actions.log"
    with running(actions.command, actions.env, log) as process:
        wait_for_http(f"http://127.0.0.1:{without_actions.action_port}/health", process, log)
        reply, _ = timed_say(without_actions.url, "back-1", "what is ketamine?")
    unit = library.unit("what_is_ketamine_overview")
    assert unit is not None and words(unit.answer) in reply


@pytest.mark.model
def test_a_restarted_server_continues_the_conversation_with_its_history(
    tmp_path: Path, library: Library
) -> None:
    for run, text in enumerate(("does ketamine cause nausea?", "tell me more")):
        # Each run its own logs; the conversation only in the shared tracker store.
        folder = tmp_path / f"run-{run}"
        folder.mkdir()
        with started(folder, {"SQLITE_PATH": str(tmp_path / "tracker.db")}) as stack:
            reply = joined(say(stack.url, "restart-1", text))
    # The second server knows the last answer only from the stored history (the last_unit
    # slot): "tell me more" gives its first related question.
    nausea = library.unit("nausea_and_vomiting")
    assert nausea is not None
    following = library.unit(nausea.related[0])
    assert following is not None and words(following.answer) in reply


def stored_user_texts(env: dict[str, str], sender: str) -> list[str]:
    with open_store(store_url(env)) as engine, engine.connect() as db:
        rows = db.execute(
            sa.select(EVENTS.c.data)
            .where(EVENTS.c.sender_id == sender, EVENTS.c.type_name == "user")
            .order_by(EVENTS.c.timestamp)
        )
        return [json.loads(data)["text"] for (data,) in rows]


@pytest.mark.model
@pytest.mark.postgres
def test_a_database_outage_is_logged_and_answered_and_storing_resumes_after_it(
    tmp_path: Path, domain: dict
) -> None:
    database = Postgres()
    env = database.env()
    try:
        with started(tmp_path, env) as stack:
            say(stack.url, "outage-1", "what is ketamine?")
            database.stop()
            during = joined(say(stack.url, "outage-1", "i want to kill myself"))
            database.start()
            say(stack.url, "outage-1", "does ketamine cause nausea?")
        stored = stored_user_texts(env, "outage-1")
    finally:
        database.remove()
    assert words(domain["responses"]["utter_crisis"][0]["text"]) in during
    assert "Error happened when trying to save conversation tracker to 'SQLTrackerStore'" in (
        (tmp_path / "rasa.log").read_text(encoding="utf-8", errors="replace")
    )
    # Rasa 3.6 does not store the turn made during the outage (docs/operations.md).
    assert stored == ["what is ketamine?", "does ketamine cause nausea?"]


@pytest.mark.server
def test_the_server_refuses_to_start_when_its_tracker_store_is_unreachable(
    tmp_path: Path,
) -> None:
    closed_port = free_port()
    endpoints = tmp_path / "endpoints.yml"
    config = {"TRACKER_STORE": "postgres", "DB_PORT": str(closed_port), "DB_PASSWORD": "x"}
    endpoints.write_text(to_yaml(render(config)), encoding="utf-8")
    log = tmp_path / "rasa.log"
    command = [*SERVE, "run", "-m", str(MODEL), "--endpoints", str(endpoints), "-p", "0"]
    with running(command, {"DB_PASSWORD": "x"}, log) as process:
        returncode = process.wait(timeout=120)
    output = log_tail(log, 5)
    assert returncode != 0
    assert f"Cannot reach the tracker store (postgresql at 127.0.0.1:{closed_port}/rasa)" in output
    assert "Troubleshooting" in output


def test_the_make_run_command_line_has_no_http_api_unless_asked() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "--enable-api" not in dry_run


def test_make_run_refuses_the_http_api_without_a_token() -> None:
    env = {k: v for k, v in os.environ.items() if k != "RASA_AUTH_TOKEN"}
    result = subprocess.run(
        ["make", "run", "ENABLE_API=1"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "ENABLE_API=1 needs RASA_AUTH_TOKEN set" in result.stderr
