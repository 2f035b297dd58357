"""Saving a loaded tracker stores exactly its new events, without counting the stored ones."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import Session

from bot.server import tracker_saving

SENDER = "person-1"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLTrackerStore]:
    tracker_saving.install()
    try:
        yield SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    finally:
        tracker_saving.uninstall()


def turn(text: str) -> list:
    return [UserUttered(text, {"name": "greet"}), ActionExecuted("utter_greet")]


def stored_types(store: SQLTrackerStore) -> list[str]:
    with store.session_scope() as session:
        rows = store._event_query(session, SENDER, fetch_events_from_all_sessions=True).all()
    return [row.type_name for row in rows]


def count_queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    counted: list[str] = []
    original = tracker_saving._ORIGINAL_ADDITIONAL_EVENTS

    def counting(self, session, tracker):  # type: ignore[no-untyped-def]
        counted.append(tracker.sender_id)
        return original(self, session, tracker)

    monkeypatch.setattr(tracker_saving, "_ORIGINAL_ADDITIONAL_EVENTS", counting)
    return counted


def new_conversation(store: SQLTrackerStore) -> None:
    tracker = DialogueStateTracker.from_events(SENDER, [ActionExecuted("action_listen")])
    tracker.update_with_events(turn("hi"), None)
    asyncio.run(store.save(tracker))


def test_a_loaded_tracker_saves_only_its_new_events_without_counting(
    store: SQLTrackerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_conversation(store)
    counted = count_queries(monkeypatch)
    tracker = asyncio.run(store.retrieve(SENDER))
    tracker.update_with_events(turn("hello again"), None)
    asyncio.run(store.save(tracker))
    assert counted == []
    assert [e.as_dict() for e in asyncio.run(store.retrieve(SENDER)).events] == [
        e.as_dict() for e in tracker.events
    ]


def test_a_second_save_of_one_tracker_stores_only_what_the_first_did_not(
    store: SQLTrackerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_conversation(store)
    tracker = asyncio.run(store.retrieve(SENDER))
    tracker.update_with_events([SlotSet("region", "uk")], None)
    asyncio.run(store.save(tracker))
    counted = count_queries(monkeypatch)
    tracker.update_with_events(turn("one more"), None)
    asyncio.run(store.save(tracker))
    assert counted == []
    assert len(stored_types(store)) == len(tracker.events)


def test_after_a_failed_commit_the_next_save_counts(
    store: SQLTrackerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_conversation(store)
    tracker = asyncio.run(store.retrieve(SENDER))
    tracker.update_with_events(turn("lost connection"), None)

    def broken(self: Session) -> None:
        raise ConnectionError("database went away")

    with monkeypatch.context() as patch:
        patch.setattr(Session, "commit", broken)
        with pytest.raises(ConnectionError):
            asyncio.run(store.save(tracker))
    counted = count_queries(monkeypatch)
    asyncio.run(store.save(tracker))
    assert counted == [SENDER]
    assert len(stored_types(store)) == len(tracker.events)


def test_a_tracker_not_loaded_by_the_store_is_saved_by_counting(
    store: SQLTrackerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_conversation(store)
    asyncio.run(store.retrieve(SENDER))  # loaded, then replaced by a tracker built elsewhere
    counted = count_queries(monkeypatch)
    replacement = DialogueStateTracker.from_events(SENDER, [ActionExecuted("action_listen")])
    replacement.update_with_events([*turn("hi"), *turn("built elsewhere")], None)
    asyncio.run(store.save(replacement))
    assert counted == [SENDER]
    assert len(stored_types(store)) == len(replacement.events)


def test_a_new_session_is_stored_after_the_old_one(store: SQLTrackerStore) -> None:
    new_conversation(store)
    tracker = asyncio.run(store.retrieve(SENDER))
    tracker.update_with_events(
        [ActionExecuted("action_session_start"), SessionStarted(), *turn("next day")], None
    )
    asyncio.run(store.save(tracker))
    assert len(stored_types(store)) == len(tracker.events)
    latest = asyncio.run(store.retrieve(SENDER))
    assert [e.type_name for e in latest.events][:1] == ["session_started"]


def test_only_the_latest_loads_are_remembered(
    store: SQLTrackerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tracker_saving, "MAX_REMEMBERED", 2)
    for sender in ("a", "b", "c"):
        tracker = DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen")])
        asyncio.run(store.save(tracker))
        asyncio.run(store.retrieve(sender))
    assert list(tracker_saving._loaded_counts(store)) == ["b", "c"]


def test_install_and_uninstall_swap_the_stores_methods() -> None:
    original = SQLTrackerStore.__dict__["_additional_events"]
    tracker_saving.install()
    try:
        assert SQLTrackerStore.__dict__["_additional_events"] is tracker_saving._additional_events
    finally:
        tracker_saving.uninstall()
    assert SQLTrackerStore.__dict__["_additional_events"] is original
