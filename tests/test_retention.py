"""forget and purge delete whole conversations from a real tracker store, and say only counts.

Each test runs on SQLite and on PostgreSQL (a throwaway server from Debian's
packages, tests/servers.py), both filled through Rasa's SQLTrackerStore.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from tools.retention import main
from tools.tracker_db import store_url

ROOT = Path(__file__).resolve().parents[1]
NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.timezone.utc)
DAY = 86_400.0

# sender -> [(days before NOW, user text)]: one scripted conversation each.
SCRIPT: dict[str, list[tuple[float, str]]] = {
    "old-ann": [(100, "is esketamine safe in pregnancy"), (95, "what about breastfeeding")],
    "old-dan": [(40, "can i drive after my spravato session")],
    "mixed-ben": [(200, "how does ketamine work"), (2, "my name is Ben Ortiz, is it addictive")],
    "new-cat": [(1, "what side effects are common")],
}
TEXTS = [text for turns in SCRIPT.values() for _, text in turns]
EVENTS_PER_TURN = 4


def _tracker(sender: str) -> DialogueStateTracker:
    events = []
    for days_ago, text in SCRIPT[sender]:
        at = NOW.timestamp() - days_ago * DAY
        intent = {"name": "ask_safety", "confidence": 0.9}
        parse_data = {"text": text, "intent": intent, "entities": []}
        events += [
            UserUttered(text, intent, [], parse_data, timestamp=at),
            ActionExecuted("action_answer_question", timestamp=at + 1),
            BotUttered(f"an answer to: {text}", timestamp=at + 2),
            ActionExecuted("action_listen", timestamp=at + 3),
        ]
    return DialogueStateTracker.from_events(sender, events)


async def sqlite_store(path: Path, *senders: str) -> SQLTrackerStore:
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    for sender in senders:
        await store.save(_tracker(sender))
    return store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def env(request, tmp_path) -> dict[str, str]:
    """The environment of a store holding the scripted conversations and nothing else."""
    if request.param == "sqlite":
        path = tmp_path / "tracker.db"
        store = await sqlite_store(path)
        environment = {"SQLITE_PATH": str(path)}
    else:
        database = request.getfixturevalue("postgres")
        environment = database.env()
        url = store_url(environment)
        with sa.create_engine(url).begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS events")
        store = SQLTrackerStore(
            Domain.empty(),
            dialect="postgresql",
            host=url.host,
            port=url.port,
            db=url.database,
            username=url.username,
            password=url.password,
        )
    for sender in SCRIPT:
        await store.save(_tracker(sender))
    store.engine.dispose()
    return environment


def stored(env: dict[str, str]) -> dict[str, int]:
    """Events per sender id, read straight from the events table."""
    engine = sa.create_engine(store_url(env))
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id"
            ).all()
    finally:
        engine.dispose()
    return {sender: count for sender, count in rows}


def run(capsys, env: dict[str, str], *argv: str) -> str:
    main(list(argv), env=env, now=NOW)
    return capsys.readouterr().out


def events_of(sender: str) -> int:
    return len(SCRIPT[sender]) * EVENTS_PER_TURN


def test_forget_deletes_every_event_of_that_sender(env, capsys):
    run(capsys, env, "forget", "mixed-ben")
    assert "mixed-ben" not in stored(env)


def test_forget_keeps_every_other_conversation(env, capsys):
    run(capsys, env, "forget", "mixed-ben")
    assert stored(env) == {s: events_of(s) for s in SCRIPT if s != "mixed-ben"}


def test_forget_says_what_it_deleted_in_counts_and_sender_id(env, capsys):
    out = run(capsys, env, "forget", "mixed-ben")
    assert "Deleted 1 conversation (8 events) with sender id 'mixed-ben'" in out
    assert "'mixed-ben': 8 events" in out


def test_forget_never_prints_message_text(env, capsys):
    out = run(capsys, env, "forget", "mixed-ben")
    for text in TEXTS:
        assert text not in out
    assert "Ben" not in out


def test_forget_twice_deletes_nothing_more(env, capsys):
    run(capsys, env, "forget", "mixed-ben")
    out = run(capsys, env, "forget", "mixed-ben")
    assert out.startswith("Nothing to delete: no conversation with sender id 'mixed-ben'")
    assert stored(env) == {s: events_of(s) for s in SCRIPT if s != "mixed-ben"}


async def test_forget_leaves_no_trace_of_the_text_in_the_sqlite_file(tmp_path, capsys):
    path = tmp_path / "tracker.db"
    (await sqlite_store(path, "mixed-ben")).engine.dispose()
    assert b"Ortiz" in path.read_bytes()
    run(capsys, {"SQLITE_PATH": str(path)}, "forget", "mixed-ben")
    assert b"Ortiz" not in path.read_bytes()


def test_purge_deletes_conversations_whose_latest_event_is_older(env, capsys):
    run(capsys, env, "purge", "--older-than-days", "30")
    assert set(stored(env)) == {"mixed-ben", "new-cat"}


def test_purge_keeps_a_conversation_with_a_recent_event_whole(env, capsys):
    run(capsys, env, "purge", "--older-than-days", "30")
    assert stored(env)["mixed-ben"] == events_of("mixed-ben")


def test_purge_says_what_it_deleted_in_counts_and_sender_ids(env, capsys):
    out = run(capsys, env, "purge", "--older-than-days", "30")
    assert (
        "Deleted 2 conversations (12 events) whose latest event is before 2026-10-31 12:00 UTC"
        in out
    )
    assert "'old-ann': 8 events" in out
    assert "'old-dan': 4 events" in out


def test_purge_never_prints_message_text(env, capsys):
    out = run(capsys, env, "purge", "--older-than-days", "30")
    for text in TEXTS:
        assert text not in out


def test_purge_twice_deletes_nothing_more(env, capsys):
    run(capsys, env, "purge", "--older-than-days", "30")
    out = run(capsys, env, "purge", "--older-than-days", "30")
    assert out.startswith("Nothing to delete: no conversation whose latest event is before")
    assert set(stored(env)) == {"mixed-ben", "new-cat"}


def test_purge_measures_age_from_the_given_now(env, capsys):
    main(["purge", "--older-than-days", "30"], env=env, now=NOW - dt.timedelta(days=60))
    assert set(stored(env)) == set(SCRIPT) - {"old-ann"}


async def test_purge_keeps_a_conversation_with_no_timestamps(tmp_path, capsys):
    path = tmp_path / "tracker.db"
    store = await sqlite_store(path, "old-ann")
    with store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE events SET timestamp = NULL")
    store.engine.dispose()
    run(capsys, {"SQLITE_PATH": str(path)}, "purge", "--older-than-days", "1")
    assert stored({"SQLITE_PATH": str(path)}) == {"old-ann": events_of("old-ann")}


def test_a_dry_run_lists_what_purge_would_delete_and_deletes_nothing(env, capsys):
    out = run(capsys, env, "purge", "--older-than-days", "30", "--dry-run")
    assert "Would delete 2 conversations (12 events)" in out
    assert stored(env) == {s: events_of(s) for s in SCRIPT}


def test_a_dry_run_of_forget_deletes_nothing(env, capsys):
    out = run(capsys, env, "forget", "old-ann", "--dry-run")
    assert "Would delete 1 conversation (8 events)" in out
    assert stored(env) == {s: events_of(s) for s in SCRIPT}


@pytest.mark.parametrize(
    "argv", [["forget", "old-ann"], ["purge", "--older-than-days", "30"]], ids=["forget", "purge"]
)
def test_a_missing_store_file_is_a_clear_error_and_is_not_created(tmp_path, argv):
    missing = tmp_path / "none.db"
    with pytest.raises(SystemExit, match=f"error: no tracker store at {missing}"):
        main(argv, env={"SQLITE_PATH": str(missing)}, now=NOW)
    assert not missing.exists()


def test_a_store_without_an_events_table_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty.db"
    sa.create_engine(f"sqlite:///{empty}").connect().close()
    with pytest.raises(SystemExit, match="no events table"):
        main(["forget", "old-ann"], env={"SQLITE_PATH": str(empty)}, now=NOW)


@pytest.mark.parametrize("days", ["0", "-3", "two", "1.5"])
def test_days_must_be_a_whole_number_of_one_or_more(tmp_path, days, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["purge", "--older-than-days", days], env={"SQLITE_PATH": str(tmp_path / "t.db")})
    assert exit_info.value.code == 2
    assert "whole number of days" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("target", "variable"), [("forget", "SENDER"), ("purge", "DAYS")], ids=["forget", "purge"]
)
def test_make_refuses_without_its_variable(target, variable):
    env = {k: v for k, v in os.environ.items() if k not in {"SENDER", "DAYS"}}
    # -n: nothing runs; make still stops on the missing variable.
    done = subprocess.run(
        ["make", "-n", target], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert f"make {target} {variable}=" in done.stderr
