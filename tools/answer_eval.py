"""Question sets labelled with the answer units that answer them, and answer-level metrics.

A question set (``tests/answers/*.yml``) lists questions written the way patients
and families ask them, each with ``units``: the ids of the answer units that answer
it (any one of them does), or ``[]`` when no unit does and the assistant should
decline or say it has no good answer. Shared by ``make bench-answers`` and the
pytest floor (``tests/test_answer_quality.py``).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.yaml_files import read_yaml

SETS_DIR = Path("tests") / "answers"
DEV_SETS = ("dev", "clinic", "forum")
"""The sets that choose the settings: ``dev``, and the sets whose errors have been read
since their first measurement. Every other set is held out."""


@dataclass(frozen=True)
class Question:
    """One question as a patient wrote it, and the units that answer it."""

    text: str
    units: tuple[str, ...]
    kind: str = ""


@dataclass(frozen=True)
class Outcome:
    """What one system did with one question."""

    answered: tuple[str, ...]
    """The units given as the answer, in order; empty when it declined."""
    ranked: tuple[str, ...] = ()
    """Its units best first (for hit@3), answered or not."""
    ms: float = 0.0


def read_questions(path: Path) -> list[Question]:
    """The questions of one set file."""
    data = read_yaml(path) or {}
    return [
        Question(
            str(q["text"]), tuple(str(u) for u in q.get("units") or []), str(q.get("kind", ""))
        )
        for q in data.get("questions") or []
    ]


def set_paths(root: Path = Path(".")) -> dict[str, Path]:
    """Every question set by name (file stem), the development sets first."""
    paths = sorted((root / SETS_DIR).glob("*.yml"), key=lambda p: (p.stem not in DEV_SETS, p.stem))
    return {p.stem: p for p in paths}


def _rate(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


def score(
    questions: Sequence[Question],
    outcomes: Sequence[Outcome],
    unit_topics: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Answer-level metrics of one system on one set.

    Over questions some unit answers: ``hit@1`` (the first unit given is one of
    them), ``hit@3`` (one of them is among its three best), ``no_answer`` (it
    declined). Over questions no unit answers: ``declined``. Over all questions:
    ``wrong`` (it gave a unit that does not answer the question).
    """
    answerable = [(q, o) for q, o in zip(questions, outcomes, strict=True) if q.units]
    others = [o for q, o in zip(questions, outcomes, strict=True) if not q.units]
    wrong = [bool(o.answered) and o.answered[0] not in q.units for q, o in answerable]
    wrong += [bool(o.answered) for o in others]
    result: dict[str, Any] = {
        "questions": len(questions),
        "answerable": len(answerable),
        "hit@1": _rate([bool(o.answered) and o.answered[0] in q.units for q, o in answerable]),
        "hit@3": _rate([any(u in q.units for u in o.ranked[:3]) for q, o in answerable]),
        "no_answer": _rate([not o.answered for _, o in answerable]),
        "declined": _rate([not o.answered for o in others]),
        "wrong": _rate(wrong),
    }
    latencies = [o.ms for o in outcomes if o.ms]
    if latencies:
        result["ms_median"] = statistics.median(latencies)
        result["ms_p95"] = sorted(latencies)[int(0.95 * (len(latencies) - 1))]
    if unit_topics is not None:
        by_topic: dict[str, list[bool]] = defaultdict(list)
        for q, o in answerable:
            topic = unit_topics.get(q.units[0], "?")
            by_topic[topic].append(bool(o.answered) and o.answered[0] in q.units)
        result["hit@1_by_topic"] = {t: (_rate(f), len(f)) for t, f in sorted(by_topic.items())}
    return result
