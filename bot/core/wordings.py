"""Training wordings for answer retrieval: more ways people ask each unit's question.

``data/answers/<topic>.yml`` gives extra wordings for the units of one topic, and
``data/answers/none.yml`` questions that no unit answers (so retrieval learns what
"no good answer" looks like). They train the unit ranker only; nobody reads them
in a reply, so they are not content and need no sources or review.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.content import CONTENT_DIR, ContentError, Library
from bot.core.yaml_files import read_yaml

WORDINGS_DIR = Path(__file__).resolve().parents[2] / "data" / "answers"
NONE_FILE = "none.yml"


def answer_files() -> list[Path]:
    """The answer units' files and their training wordings' files, in a fixed order."""
    return sorted([*(CONTENT_DIR / "answers").glob("*.yml"), *WORDINGS_DIR.glob("*.yml")])


@dataclass(frozen=True)
class Wordings:
    """Extra wordings by unit id, and questions no unit answers."""

    by_unit: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    none: tuple[str, ...] = ()

    def of(self, unit_id: str) -> tuple[str, ...]:
        """The extra wordings of one unit (none when it has no entry)."""
        return self.by_unit.get(unit_id, ())

    def texts(self) -> Iterator[str]:
        """Every training text, unit wordings and no-answer questions alike."""
        for texts in self.by_unit.values():
            yield from texts
        yield from self.none


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
        raise ContentError(f"{where}: expected a list of non-empty strings")
    return tuple(value)


def load_wordings(library: Library, folder: Path = WORDINGS_DIR) -> Wordings:
    """The wordings in ``folder``, checked against the units of ``library``."""
    by_unit: dict[str, tuple[str, ...]] = {}
    none: tuple[str, ...] = ()
    topics = library.unit_topics
    for path in sorted(folder.glob("*.yml")):
        data = read_yaml(path) or {}
        if path.name == NONE_FILE:
            none = _strings(data.get("questions"), f"{path.name}: questions")
            continue
        topic = data.get("topic")
        entries = data.get("wordings")
        if not isinstance(entries, dict):
            raise ContentError(f"{path.name}: expected 'topic' and a 'wordings' mapping")
        for unit_id, texts in entries.items():
            if topics.get(unit_id) != topic:
                raise ContentError(f"{path.name}: {unit_id!r} is not a unit of topic {topic!r}")
            if unit_id in by_unit:
                raise ContentError(f"{path.name}: {unit_id!r} has wordings in two files")
            by_unit[unit_id] = _strings(texts, f"{path.name}: {unit_id}")
    return Wordings(by_unit, none)
