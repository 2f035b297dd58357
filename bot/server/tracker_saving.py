"""Save a conversation's new events without first counting the stored ones.

Rasa 3.6.21's ``SQLTrackerStore.save`` counts the events of the conversation's latest
session in the database (a query with a subquery) to know which of the tracker's
events are new. The same turn has just loaded those events, under the conversation's
lock, so the count is already known: the number of events that ``retrieve`` returned,
or, after a save, the number of events the saved tracker holds. :func:`install` makes
the store remember that number per conversation when it loads or saves a tracker, and
use it when it next saves that same tracker object. Any other save (a tracker made
without loading, as the REST API's "replace the events" does, or one after a failed
save) counts in the database as before.

The launcher (``bot/server/rasa_cli.py``) calls :func:`install` before Rasa starts.
"""

from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

MAX_REMEMBERED = 10_000
"""Conversations whose count is kept; the least recently loaded or saved go first."""

_ORIGINAL_RETRIEVE = SQLTrackerStore._retrieve
_ORIGINAL_SAVE = SQLTrackerStore.save
_ORIGINAL_ADDITIONAL_EVENTS = SQLTrackerStore._additional_events


Loaded = tuple["weakref.ref[DialogueStateTracker] | None", int]


def _loaded_counts(store: SQLTrackerStore) -> OrderedDict[str, Loaded]:
    counts = store.__dict__.get("_loaded_event_counts")
    if counts is None:
        counts = store.__dict__["_loaded_event_counts"] = OrderedDict()
    return counts


def _remember(store: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
    counts = _loaded_counts(store)
    counts.pop(tracker.sender_id, None)
    counts[tracker.sender_id] = (weakref.ref(tracker), len(tracker.events))
    while len(counts) > MAX_REMEMBERED:
        counts.popitem(last=False)


async def _retrieve(
    self: SQLTrackerStore, sender_id: str, fetch_events_from_all_sessions: bool
) -> DialogueStateTracker | None:
    tracker = await _ORIGINAL_RETRIEVE(self, sender_id, fetch_events_from_all_sessions)
    # Only the latest session's events are what ``save`` would count. A count kept for
    # another tracker object of the same conversation is never used for this one.
    if tracker is not None and not fetch_events_from_all_sessions:
        _remember(self, tracker)
    return tracker


async def _save(self: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
    await _ORIGINAL_SAVE(self, tracker)
    _remember(self, tracker)


def _additional_events(
    self: SQLTrackerStore, session: Any, tracker: DialogueStateTracker
) -> Iterator:
    loaded, stored = _loaded_counts(self).pop(tracker.sender_id, (None, 0))
    same_tracker = loaded is not None and loaded() is tracker
    if not same_tracker:
        return _ORIGINAL_ADDITIONAL_EVENTS(self, session, tracker)
    return itertools.islice(tracker.events, stored, len(tracker.events))


def install() -> None:
    """Patch the pinned Rasa's ``SQLTrackerStore``; calling it again changes nothing."""
    SQLTrackerStore._retrieve = _retrieve
    SQLTrackerStore.save = _save
    SQLTrackerStore._additional_events = _additional_events


def uninstall() -> None:
    """Rasa's own methods again (for tests)."""
    SQLTrackerStore._retrieve = _ORIGINAL_RETRIEVE
    SQLTrackerStore.save = _ORIGINAL_SAVE
    SQLTrackerStore._additional_events = _ORIGINAL_ADDITIONAL_EVENTS
