"""Two Rasa replicas behind HAProxy, as `make run REPLICAS=2` starts them (real servers).

The launcher runs PostgreSQL, Redis, the action server, both replicas and the load
balancer; the tests talk to the balancer or to one replica directly, and read what
was stored straight from PostgreSQL.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.core.content import Library
from bot.server.supervisor import answers, listener_pids
from tests.servers import SocketChat, message_text, redis_server, say
from tools.stack import MODEL, Stack, started
from tools.tracker_db import EVENTS, open_store, store_url

pytestmark = [pytest.mark.model, pytest.mark.postgres]

QUESTIONS = (
    "what is spravato",
    "can i drive home after my treatment",
    "does ketamine cause nausea?",
    "how much does it cost",
    "thanks",
)
ORIGIN = "http://replicas.test"  # the web page origin the socket.io channel lets in
RESTART_TIMEOUT = 300.0  # a replica reloads its model: a minute or more on 2 busy cores


def open_folder(prefix: str) -> Path:
    """A folder under /tmp that the ``postgres`` user may enter (pytest's are closed)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    return folder


@pytest.fixture(scope="module")
def cluster() -> Iterator[Stack]:
    assert MODEL.exists(), "train first: make train"
    folder = open_folder("kb-replicas-")
    try:
        with started(folder, {"WEB_ORIGINS": ORIGIN}, replicas=2) as stack:
            yield stack
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def events(stack: Stack, sender: str) -> list[tuple[str, dict]]:
    """The stored events of ``sender``'s conversation, in the order they were stored."""
    query = (
        sa.select(EVENTS.c.type_name, EVENTS.c.data)
        .where(EVENTS.c.sender_id == sender)
        .order_by(EVENTS.c.id)
    )
    with open_store(store_url(stack.settings)) as engine, engine.connect() as db:
        return [(kind, json.loads(data)) for kind, data in db.execute(query)]


def user_texts(stack: Stack, sender: str) -> list[str]:
    return [data["text"] for kind, data in events(stack, sender) if kind == "user"]


def turns_are_whole(stored: list[tuple[str, dict]]) -> bool:
    """Each user message is followed by the assistant's reply before the next one comes."""
    kinds = [kind for kind, _ in stored]
    starts = [i for i, kind in enumerate(kinds) if kind == "user"]
    for here, following in zip(starts, [*starts[1:], len(kinds)], strict=True):
        turn = kinds[here + 1 : following]
        if "bot" not in turn or (following < len(kinds) and turn[-1] != "action"):
            return False
    return True


def converse(url: str, sender: str, pause: float = 0.0) -> list[str]:
    """One scripted conversation over REST; the messages that were answered."""
    answered = []
    for text in QUESTIONS:
        assert say(url, sender, text, timeout=120), f"no reply to {text!r}"
        answered.append(text)
        time.sleep(pause)
    return answered


def replica_pid(stack: Stack, index: int) -> int:
    pids = listener_pids(stack.replica_ports[index])
    assert pids, f"nothing listens on replica {index + 1}'s port"
    return pids[0]


def stop_replica(stack: Stack, index: int, signum: signal.Signals) -> None:
    """Stop replica ``index``; return once the launcher has started it again and it answers."""
    old = replica_pid(stack, index)
    os.kill(old, signum)
    wait_until_back(stack, index, old)


def wait_until_back(stack: Stack, index: int, old: int) -> None:
    """Wait until replica ``index`` runs in a process other than ``old`` and answers."""
    deadline = time.monotonic() + RESTART_TIMEOUT
    # The old process answers until it has finished the turns under way.
    while listener_pids(stack.replica_ports[index]) in ([], [old]) or not answers(
        f"{stack.replica_url(index)}/webhooks/rest/"
    ):
        assert time.monotonic() < deadline, f"replica {index + 1} did not come back"
        time.sleep(1)


def test_turns_sent_to_alternating_replicas_keep_one_conversation(cluster: Stack) -> None:
    replies = [
        say(cluster.replica_url(i % 2), "alternating-1", text)
        for i, text in enumerate(QUESTIONS[:4])
    ]

    assert user_texts(cluster, "alternating-1") == list(QUESTIONS[:4])
    # The conversation starts once: only the first reply carries the disclaimer.
    disclaimer = replies[0][0]
    assert all(disclaimer not in reply for reply in replies[1:])


def test_a_web_chat_visitor_keeps_one_replica_through_the_balancer(
    cluster: Stack, library: Library
) -> None:
    # Long polling: every request of the session must reach the replica that holds it.
    chat = SocketChat(cluster.url, ORIGIN, library.messages["disclaimer"]["us"])
    try:
        session = chat.start_session()
        for text in ("hello", "what is spravato", "does ketamine cause nausea?"):
            replies = chat.send({"message": text, "session_id": session, "customData": {}})
            assert any(message_text(reply) for reply in replies), text
    finally:
        chat.close()


def test_two_messages_of_one_sender_at_once_are_answered_in_order_each_once(
    cluster: Stack,
) -> None:
    say(cluster.url, "at-once-1", "hello")
    for pair in range(3):
        texts = [f"what is spravato ({pair})", f"does ketamine cause nausea ({pair})"]
        with ThreadPoolExecutor(2) as pool:
            sent = [
                pool.submit(say, cluster.replica_url(i), "at-once-1", text)
                for i, text in enumerate(texts)
            ]
            assert all(future.result() for future in sent)

    stored = events(cluster, "at-once-1")
    users = [data["text"] for kind, data in stored if kind == "user"]
    assert sorted(users) == sorted(
        [
            "hello",
            *(
                f"{q} ({p})"
                for p in range(3)
                for q in ("what is spravato", "does ketamine cause nausea")
            ),
        ]
    )
    assert turns_are_whole(stored)


def test_a_rolling_restart_under_load_drops_no_turn_and_no_conversation(cluster: Stack) -> None:
    done = threading.Event()
    finished: list[str] = []
    failures: list[str] = []

    def keep_talking(user: int) -> None:
        rounds = 0
        while not done.is_set():
            sender = f"rolling-{user}-{rounds}"
            try:
                converse(cluster.url, sender, pause=0.5)
                finished.append(sender)
            except (AssertionError, OSError) as error:
                failures.append(f"{sender}: {error!r}")
            rounds += 1

    with ThreadPoolExecutor(4) as pool:
        talking = [pool.submit(keep_talking, user) for user in range(4)]
        for index in range(2):
            time.sleep(3)
            stop_replica(cluster, index, signal.SIGTERM)
        done.set()
        for future in talking:
            future.result()

    assert failures == []
    assert len(finished) >= 4
    for sender in finished:
        assert user_texts(cluster, sender) == list(QUESTIONS), sender
    assert (cluster.folder / "launch.log").read_text().count("starting it again") >= 2


def test_a_crashed_replica_loses_no_stored_turn_and_the_other_keeps_answering(
    cluster: Stack,
) -> None:
    answered: dict[str, list[str]] = {}
    slow: list[str] = []

    def talk(sender: str) -> None:
        answered[sender] = []
        for text in QUESTIONS:
            began = time.monotonic()
            try:
                say(cluster.url, sender, text, timeout=150)
            except (OSError, urllib.error.URLError):
                continue  # the turn in flight on the killed replica may fail, unstored
            answered[sender].append(text)
            if time.monotonic() - began > 10:
                slow.append(sender)  # its lock was held by the killed replica

    senders = [f"crash-{n}" for n in range(6)]
    with ThreadPoolExecutor(len(senders)) as pool:
        talking = [pool.submit(talk, sender) for sender in senders]
        time.sleep(2)
        killed = replica_pid(cluster, 0)
        os.kill(killed, signal.SIGKILL)
        # While the killed replica reloads, the other one answers new conversations.
        for n in range(3):
            assert say(cluster.url, f"crash-after-{n}", "what is ketamine", timeout=30)
        for future in talking:
            future.result()

    for sender in senders:
        stored = user_texts(cluster, sender)
        # Every answered turn is stored once and in order; nothing came from elsewhere.
        assert [t for t in stored if t in answered[sender]] == answered[sender]
        assert len(stored) == len(set(stored)) and set(stored) <= set(QUESTIONS)
    unharmed = [s for s in senders if s not in slow and len(answered[s]) == len(QUESTIONS)]
    assert len(unharmed) >= len(senders) // 2
    wait_until_back(cluster, 0, killed)  # the launcher starts it again


@pytest.fixture
def lock_store() -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    with redis_server() as started_redis:
        yield started_redis


def test_with_the_lock_store_down_a_message_gets_a_clear_error_not_an_unordered_answer(
    lock_store: tuple[int, subprocess.Popen[bytes]],
) -> None:
    port, redis = lock_store
    folder = open_folder("kb-lockstore-")
    settings = {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(port)}
    try:
        with started(folder, settings, replicas=2) as stack:
            say(stack.url, "lock-down-1", "hello")
            redis.terminate()
            redis.wait(timeout=10)
            with pytest.raises(urllib.error.HTTPError) as failed:
                say(stack.url, "lock-down-1", "what is spravato")
            with failed.value as reply:
                status, body = reply.code, json.loads(reply.read())
            stored = user_texts(stack, "lock-down-1")
            rasa_log = (folder / "rasa-1.log").read_text() + (folder / "rasa-2.log").read_text()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    assert status == 500 and "failed to answer" in body["error"]
    assert "Error while acquiring lock" in rasa_log
    assert stored == ["hello"]  # not stored, so not answered out of order later
