"""Every text a patient can see, each named by the file and field it comes from.

The content gates and the content report both walk this one list, so a text
cannot be checked in one place and forgotten in the other.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.answers import more_exhausted
from bot.core.content import AnswerUnit, Library, Topic

PROSE = "prose"
LABEL = "label"


@dataclass(frozen=True)
class PatientText:
    """One patient-visible text and where it lives.

    ``kind`` is ``prose`` for sentences (scored for readability) or ``label`` for
    titles and button captions (too short to score, but still checked for wording).
    """

    where: str
    text: str
    kind: str = PROSE


def topic_texts(topic: Topic, library: Library) -> list[PatientText]:
    """The texts of one topic: summary, sections, ``more``, title and follow-ups."""
    name = f"{topic.intent}.yml"
    texts = [PatientText(f"{name} summary", topic.summary)]
    texts += [PatientText(f"{name} sections[{s.value}]", s.text) for s in topic.sections]
    texts.append(PatientText(f"{name} more", topic.more))
    # The "nothing more" message names the topic, so it is scored as sent for each one.
    texts.append(
        PatientText(
            f"messages.yml more_exhausted[{topic.intent}]", more_exhausted(topic, library).text
        )
    )
    texts.append(PatientText(f"{name} title", topic.title, LABEL))
    texts += [
        PatientText(f"{name} follow_ups[{i}]", f.title, LABEL)
        for i, f in enumerate(topic.follow_ups)
    ]
    return texts


def unit_texts(unit: AnswerUnit) -> list[PatientText]:
    """The texts of one answer unit: its answer, and its question (a button title)."""
    name = f"answers/{unit.topic}.yml {unit.id}"
    return [
        PatientText(f"{name} answer", unit.answer),
        PatientText(f"{name} question", unit.question, LABEL),
    ]


def message_texts(messages: Mapping[str, Any]) -> list[PatientText]:
    """The fixed texts of ``messages.yml``; a mapping (the disclaimer) gives one per key.

    Lists (``starter_topics``) hold intent names, not text. Templates with a
    ``{title}`` are left to :func:`topic_texts`, which fills them in per topic.
    """
    texts = []
    for key, value in messages.items():
        if isinstance(value, str) and "{title}" not in value:
            texts.append(PatientText(f"messages.yml {key}", value.strip()))
        elif isinstance(value, Mapping):
            texts += [
                PatientText(f"messages.yml {key}[{sub}]", str(text).strip())
                for sub, text in value.items()
            ]
    return texts


def _condition_label(variation: Mapping[str, Any]) -> str:
    conditions = variation.get("condition") or []
    slots = [f"{c.get('name')}={c.get('value')}" for c in conditions]
    return f" ({', '.join(slots)})" if slots else ""


def domain_texts(domain: Mapping[str, Any]) -> list[PatientText]:
    """Every text variation and button title of every response in ``domain.yml``."""
    texts = []
    for name, variations in (domain.get("responses") or {}).items():
        for i, variation in enumerate(variations):
            where = f"domain.yml {name}[{i}]{_condition_label(variation)}"
            if variation.get("text"):
                texts.append(PatientText(where, str(variation["text"]).strip()))
            texts += [
                PatientText(f"{where} buttons[{j}]", str(button["title"]), LABEL)
                for j, button in enumerate(variation.get("buttons") or [])
            ]
    return texts


def iter_patient_texts(library: Library, domain: Mapping[str, Any]) -> Iterator[PatientText]:
    """All patient-visible texts: topics, answer units, ``messages.yml``, ``domain.yml``."""
    for topic in library.topics.values():
        yield from topic_texts(topic, library)
    for unit in library.units.values():
        yield from unit_texts(unit)
    yield from message_texts(library.messages)
    yield from domain_texts(domain)
