"""Stand-ins shared by several test modules."""

from __future__ import annotations

from typing import Any


class FakeSio:
    """Records what a channel emits and which rooms it enters."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, dict[str, Any]]] = []
        self.rooms: list[tuple[str, str]] = []

    async def emit(self, event: str, data: Any = None, **kwargs: Any) -> None:
        self.emitted.append((event, data, kwargs))

    async def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        self.rooms.append((sid, room))
