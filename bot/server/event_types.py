"""Find an event's class by its type name without listing every event class each time.

Rasa 3.6.21's ``Event.resolve_by_type`` walks all subclasses of ``Event`` (and checks
each one for abstract methods) for every event it reads: every stored event of a
conversation, each time a turn loads it, and every event an action returns; it showed
in the server's profile under load (docs/benchmarks.md). :func:`install` keeps each
name's class once Rasa has found it; a name Rasa does not know still goes to Rasa, with
its default, ``None`` for the old ``topic`` events, or its error.

The launcher (``bot/server/rasa_cli.py``) calls :func:`install` before Rasa starts.
"""

from __future__ import annotations

from rasa.shared.core.events import Event

_ORIGINAL = Event.resolve_by_type
_FOUND: dict[str, type[Event]] = {}


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """The event class named ``type_name``, as Rasa's own lookup gives it."""
    known = _FOUND.get(type_name)
    if known is not None:
        return known
    found = _ORIGINAL(type_name, default)
    if found is not None and found is not default and found.type_name == type_name:
        _FOUND[type_name] = found
    return found


def install() -> None:
    """Patch the pinned Rasa's ``Event.resolve_by_type``; calling it again changes nothing."""
    Event.resolve_by_type = staticmethod(resolve_by_type)


def uninstall() -> None:
    """Rasa's own lookup again (for tests)."""
    Event.resolve_by_type = staticmethod(_ORIGINAL)
