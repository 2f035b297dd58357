"""Every text a patient can see, each named by the file and field it comes from.

The content gates and the content report both walk this one list, so a text
cannot be checked in one place and forgotten in the other.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.answers import more_exhausted
from bot.core.clinic import HOME_REGION, REGIONS
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


def _variation_texts(name: str, i: int, variation: Mapping[str, Any]) -> list[PatientText]:
    """The text and button titles of one variation of a response."""
    where = f"domain.yml {name}[{i}]{_condition_label(variation)}"
    texts = [PatientText(where, str(variation["text"]).strip())] if variation.get("text") else []
    texts += [
        PatientText(f"{where} buttons[{j}]", str(button["title"]), LABEL)
        for j, button in enumerate(variation.get("buttons") or [])
    ]
    return texts


def domain_texts(domain: Mapping[str, Any]) -> list[PatientText]:
    """Every text variation and button title of every response in ``domain.yml``."""
    return [
        text
        for name, variations in (domain.get("responses") or {}).items()
        for i, variation in enumerate(variations)
        for text in _variation_texts(name, i, variation)
    ]


def choose_variation(
    variations: Sequence[Mapping[str, Any]], slots: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The variation Rasa's NLG sends for ``slots``.

    The first whose slot conditions all hold, else the first unconditional one.
    """
    default = None
    for variation in variations:
        conditions = variation.get("condition") or []
        if not conditions:
            default = default or variation
        elif all(
            c.get("type") == "slot" and slots.get(c.get("name")) == c.get("value")
            for c in conditions
        ):
            return variation
    return default


def _message_in(value: Any, region: str) -> Any:
    """A per-region message cut down to the text sent in ``region`` (as regional_message)."""
    if not (isinstance(value, Mapping) and set(value) <= set(REGIONS)):
        return value
    sent = region if region in value else HOME_REGION
    return {sent: value[sent]} if sent in value else {}


def texts_read_in(region: str, library: Library, domain: Mapping[str, Any]) -> list[PatientText]:
    """Every text a reader in ``region`` can get.

    The content as told there, the messages for there, and the variation of each
    response that Rasa sends there.
    """
    regional = library.for_region(region)
    texts = [t for topic in regional.topics.values() for t in topic_texts(topic, regional)]
    texts += [t for unit in regional.units.values() for t in unit_texts(unit)]
    texts += message_texts({k: _message_in(v, region) for k, v in regional.messages.items()})
    for name, variations in (domain.get("responses") or {}).items():
        chosen = choose_variation(variations, {"region": region})
        if chosen is not None:
            texts += _variation_texts(name, list(variations).index(chosen), chosen)
    return texts


def iter_patient_texts(library: Library, domain: Mapping[str, Any]) -> Iterator[PatientText]:
    """All patient-visible texts: topics, answer units, ``messages.yml``, ``domain.yml``."""
    for topic in library.topics.values():
        yield from topic_texts(topic, library)
    for unit in library.units.values():
        yield from unit_texts(unit)
    yield from message_texts(library.messages)
    yield from domain_texts(domain)
