"""Looking up an event class by name gives what Rasa's own lookup gives, faster."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.utils.common import all_subclasses

from bot.server import event_types

NAMES = sorted({cls.type_name for cls in all_subclasses(Event)})


@pytest.fixture(autouse=True)
def installed() -> Iterator[None]:
    event_types.install()
    try:
        yield
    finally:
        event_types.uninstall()


@pytest.mark.parametrize("name", NAMES)
def test_every_event_name_resolves_to_rasas_class_twice(name: str) -> None:
    expected = event_types._ORIGINAL(name)
    assert Event.resolve_by_type(name) is expected
    assert Event.resolve_by_type(name) is expected


def test_an_unknown_name_gets_the_default() -> None:
    assert Event.resolve_by_type("no_such_event", UserUttered) is UserUttered


def test_an_unknown_name_without_a_default_is_an_error() -> None:
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


def test_old_topic_events_resolve_to_none() -> None:
    assert Event.resolve_by_type("topic") is None


def test_stored_events_read_back_the_same() -> None:
    data = UserUttered("hi", {"name": "greet"}).as_dict()
    assert Event.from_parameters(data) == UserUttered("hi", {"name": "greet"})


def test_uninstall_restores_rasas_lookup() -> None:
    event_types.uninstall()
    assert Event.resolve_by_type is event_types._ORIGINAL
