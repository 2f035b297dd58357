"""Curated content: the topic files and fixed messages, loaded and checked.

The YAML under ``content/`` is the single place where answer texts live.
This module turns it into typed objects and refuses content that breaks the
schema described in ``content/README.md``, naming the file at fault. The crisis
lines a text names (``{{crisis}}``) are filled in here, each with the line of the
region the text is written for (:mod:`bot.core.crisis_lines`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.core.clinic import (
    DETAILS,
    HOME_REGION,
    REGIONS,
    Clinic,
    current_profile,
    known_region,
    requested_region,
)
from bot.core.crisis_lines import LinesError, fill
from bot.core.yaml_files import read_yaml

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"

KNOWLEDGE_INTENTS: tuple[str, ...] = (
    "ask_what_is_ketamine",
    "ask_mechanism",
    "ask_onset_duration",
    "ask_benefits",
    "ask_administration",
    "ask_esketamine_vs_ketamine",
    "ask_treatment_course",
    "ask_side_effects",
    "ask_dependency_risks",
    "ask_eligibility",
    "ask_interactions",
    "ask_cost_access",
)
"""The knowledge intents of the contract, each answered from one topic file."""

CRISIS_INTENT = "crisis"
"""The intent of a message in danger: the crisis guard sets it, the rules answer it."""

CONTRACT_INTENTS: tuple[str, ...] = (
    *KNOWLEDGE_INTENTS,
    CRISIS_INTENT,
    "ask_personal_advice",
    "out_of_scope",
    "greet",
    "goodbye",
    "thank",
    "bot_challenge",
    "ask_capabilities",
    "affirm",
    "deny",
    "ask_more",
)
"""Every intent of the contract: other tools rely on these exact names."""

DOMAIN_INTENTS: tuple[str, ...] = (*CONTRACT_INTENTS, "ask_summary", "other_language")
"""Every intent of the domain: the contract's, ``ask_summary`` (bot/core/appointment.py) and
``other_language`` (bot/core/language.py)."""

ENTITY_TYPES: tuple[str, ...] = ("side_effect", "route", "medication")

OTHER_REGIONS: tuple[str, ...] = REGIONS[1:]
"""The regions other than the home one; ``regions:`` in a unit holds their answers."""


class ContentError(ValueError):
    """Raised when a content file is missing, malformed or breaks the schema."""


@dataclass(frozen=True)
class Source:
    """A published source that supports a topic."""

    publisher: str
    title: str
    url: str


@dataclass(frozen=True)
class Section:
    """A finer answer inside a topic, chosen when its entity value is asked about."""

    entity: str
    value: str
    text: str


@dataclass(frozen=True)
class FollowUp:
    """A suggested next question, shown as a button."""

    title: str
    intent: str


@dataclass(frozen=True)
class Topic:
    """Everything the assistant says about one knowledge intent."""

    intent: str
    title: str
    summary: str
    more: str
    sections: tuple[Section, ...]
    follow_ups: tuple[FollowUp, ...]
    sources: tuple[Source, ...]
    last_reviewed: dt.date
    reviewed_by: str
    personal_decision: bool

    @property
    def overview_unit(self) -> str:
        """The id of the unit that answers the topic as a whole."""
        return f"{self.intent.removeprefix('ask_')}_overview"

    def sections_for(self, entities: Iterable[tuple[str, str]]) -> tuple[Section, ...]:
        """Sections matching the (entity, value) pairs asked about, in content order.

        Asking about every value of an entity (``spravato vs ketamine``) is asking
        about the whole topic, so that gives no sections and the summary is used.
        """
        wanted = set(entities)
        matched = tuple(s for s in self.sections if (s.entity, s.value) in wanted)
        for entity in {s.entity for s in matched}:
            all_of_entity = {s.value for s in self.sections if s.entity == entity}
            if len(all_of_entity) > 1 and all_of_entity <= {v for e, v in wanted if e == entity}:
                return ()
        return matched


@dataclass(frozen=True)
class AnswerUnit:
    """The answer to one question patients ask, under one knowledge topic."""

    id: str
    topic: str
    question: str
    examples: tuple[str, ...]
    answer: str
    sources: tuple[Source, ...]
    last_reviewed: dt.date
    reviewed_by: str
    personal_decision: bool
    related: tuple[str, ...]
    # The clinic's own details this answer adds when a clinic profile is set (bot/core/clinic.py).
    clinic: tuple[str, ...] = ()
    # The regions where the answer does not hold (it speaks of US regulators, programs
    # or payment); ``regional`` holds the answer and sources there, where there is one.
    country_specific: tuple[str, ...] = ()
    regional: tuple[tuple[str, str, tuple[Source, ...]], ...] = ()

    def for_region(self, region: str, elsewhere: str) -> AnswerUnit:
        """The unit as told in ``region``.

        Its variant there; or, when it holds only in the US and has none, ``elsewhere``
        with no sources.
        """
        if region not in self.country_specific:
            return self
        for name, answer, sources in self.regional:
            if name == region:
                return dataclasses.replace(self, answer=answer, sources=sources)
        return dataclasses.replace(self, answer=elsewhere, sources=(), clinic=())

    @property
    def texts(self) -> tuple[str, ...]:
        """The ways a person may ask it: its question and example wordings."""
        return (self.question, *self.examples)


@dataclass(frozen=True)
class Library:
    """All topics and answer units, plus the fixed messages that frame every answer."""

    topics: Mapping[str, Topic]
    messages: Mapping[str, Any]
    units: Mapping[str, AnswerUnit] = field(default_factory=dict)
    clinic: Clinic | None = None
    region: str = HOME_REGION

    def for_region(self, region: str | None) -> Library:
        """The library as a person in ``region`` reads it.

        US-only answers are swapped for that region's, or for a plain "I only know how
        this works in the US" (``no_local_answer``), which is then not offered as a
        related question; a topic whose overview unit is US-only is told by that unit.
        An unknown or missing region is the home region.
        """
        chosen = known_region(region)
        if chosen == HOME_REGION:
            return self
        elsewhere = str(self.messages["no_local_answer"][chosen])
        units = {key: unit.for_region(chosen, elsewhere) for key, unit in self.units.items()}
        # Units with nothing for this region are not offered as the next question.
        unknown = {key for key, unit in units.items() if unit.answer == elsewhere}
        for key, unit in units.items():
            if set(unit.related) & unknown:
                related = tuple(r for r in unit.related if r not in unknown)
                units[key] = dataclasses.replace(unit, related=related)
        # A topic whose overview does not hold here is told by the overview as told here.
        topics = dict(self.topics)
        for intent, topic in self.topics.items():
            overview = self.units.get(topic.overview_unit)
            if overview is not None and chosen in overview.country_specific:
                told = units[topic.overview_unit]
                topics[intent] = dataclasses.replace(
                    topic, summary=told.answer, more="", sections=(), sources=told.sources
                )
        return dataclasses.replace(self, topics=topics, units=units, region=chosen)

    def topic(self, intent: str) -> Topic | None:
        """The topic answering ``intent``, or None when there is none."""
        return self.topics.get(intent)

    def unit(self, unit_id: str) -> AnswerUnit | None:
        """The answer unit with this id, or None when there is none."""
        return self.units.get(unit_id)

    @cached_property
    def unit_topics(self) -> dict[str, str]:
        """The topic of each answer unit, by unit id."""
        return {unit.id: unit.topic for unit in self.units.values()}

    def message(self, key: str) -> str:
        """A fixed message text by key (see ``messages.yml``)."""
        return str(self.messages[key])

    def regional_message(self, key: str, region: str | None) -> tuple[str, str]:
        """The region used and the text of a per-region message; the home region's by default."""
        texts = self.messages[key]
        chosen = known_region(region)
        if chosen not in texts:
            chosen = HOME_REGION
        return chosen, str(texts[chosen])

    def session_disclaimer(self, metadata: Any) -> tuple[str, str]:
        """The region of a new session (:func:`requested_region`) and its disclaimer."""
        return self.regional_message("disclaimer", requested_region(metadata))


def _filled(text: str, region: str | None, where: str) -> str:
    """``text`` with the crisis lines of ``region`` filled in; a ContentError naming it."""
    try:
        return fill(text, region)
    except LinesError as error:
        raise ContentError(f"{where}: {error}") from None


def _fill_messages(messages: Mapping[str, Any]) -> dict[str, Any]:
    """The fixed messages with their lines filled in; a per-region text with its region's."""
    filled: dict[str, Any] = {}
    for key, value in messages.items():
        if isinstance(value, str):
            filled[key] = _filled(value, None, f"messages.yml {key}")
        elif isinstance(value, Mapping):
            regional = set(value) <= set(REGIONS)
            filled[key] = {
                sub: _filled(text, sub if regional else None, f"messages.yml {key}[{sub}]")
                if isinstance(text, str)
                else text
                for sub, text in value.items()
            }
        else:
            filled[key] = value
    return filled


def _require(data: Mapping[str, Any], key: str, where: str) -> Any:
    value = data.get(key)
    if value is None or (isinstance(value, (str, list)) and not value):
        raise ContentError(f"{where}: missing or empty '{key}'")
    return value


def _review_date(data: Mapping[str, Any], where: str) -> dt.date:
    reviewed = _require(data, "last_reviewed", where)
    if isinstance(reviewed, dt.date):
        return reviewed
    try:
        return dt.date.fromisoformat(str(reviewed))
    except ValueError as exc:
        raise ContentError(f"{where}: last_reviewed must be a YYYY-MM-DD date") from exc


def _sources(data: Mapping[str, Any], where: str) -> tuple[Source, ...]:
    sources = []
    for i, raw in enumerate(_require(data, "sources", where)):
        spot = f"{where}: sources[{i}]"
        url = str(_require(raw, "url", spot))
        if not url.startswith("https://"):
            raise ContentError(f"{spot}: url must start with https://")
        sources.append(
            Source(str(_require(raw, "publisher", spot)), str(_require(raw, "title", spot)), url)
        )
    return tuple(sources)


def _regions_list(value: Any, where: str) -> tuple[str, ...]:
    """``country_specific``: a list of regions, or true for every region but the home one."""
    if value is True:
        return OTHER_REGIONS
    regions = tuple(str(r) for r in value or ())
    if not set(regions) <= set(OTHER_REGIONS):
        raise ContentError(f"{where}: country_specific: expected true or some of {OTHER_REGIONS}")
    return regions


def _regional(
    raw: Mapping[str, Any], where: str
) -> tuple[tuple[str, str, tuple[Source, ...]], ...]:
    regions = raw.get("regions") or {}
    if not isinstance(regions, Mapping) or not set(regions) <= set(OTHER_REGIONS):
        raise ContentError(f"{where}: regions: expected a mapping of {', '.join(OTHER_REGIONS)}")
    found = []
    for region, data in regions.items():
        spot = f"{where}: regions: {region}"
        if not isinstance(data, Mapping):
            raise ContentError(f"{spot}: expected answer and sources")
        sources = _sources(data, spot)
        if not 1 <= len(sources) <= MAX_UNIT_SOURCES:
            raise ContentError(f"{spot}: needs 1 to {MAX_UNIT_SOURCES} sources")
        answer = " ".join(str(_require(data, "answer", spot)).split())
        found.append((str(region), _filled(answer, str(region), spot), sources))
    return tuple(found)


def _parse_topic(data: Any, where: str) -> Topic:
    if not isinstance(data, Mapping):
        raise ContentError(f"{where}: expected a mapping at the top level")
    reviewed = _review_date(data, where)
    sources = _sources(data, where)
    sections = []
    for i, raw in enumerate(data.get("sections") or []):
        spot = f"{where}: sections[{i}]"
        entity = str(_require(raw, "entity", spot))
        if entity not in ENTITY_TYPES:
            raise ContentError(f"{spot}: entity must be one of {', '.join(ENTITY_TYPES)}")
        text = _filled(str(_require(raw, "text", spot)).strip(), HOME_REGION, spot)
        sections.append(Section(entity, str(_require(raw, "value", spot)), text))
    follow_ups = tuple(
        FollowUp(str(_require(raw, "title", where)), str(_require(raw, "intent", where)))
        for raw in data.get("follow_ups") or []
    )
    return Topic(
        intent=str(_require(data, "intent", where)),
        title=str(_require(data, "title", where)),
        summary=_filled(str(_require(data, "summary", where)).strip(), HOME_REGION, where),
        more=_filled(str(_require(data, "more", where)).strip(), HOME_REGION, where),
        sections=tuple(sections),
        follow_ups=follow_ups,
        sources=sources,
        last_reviewed=reviewed,
        reviewed_by=str(_require(data, "reviewed_by", where)),
        personal_decision=bool(data.get("personal_decision", False)),
    )


MAX_UNIT_EXAMPLES = 5
MAX_UNIT_SOURCES = 2


def _parse_units(data: Any, where: str) -> list[AnswerUnit]:
    if not isinstance(data, Mapping):
        raise ContentError(f"{where}: expected a mapping at the top level")
    topic = str(_require(data, "topic", where))
    if topic not in KNOWLEDGE_INTENTS:
        raise ContentError(f"{where}: topic '{topic}' is not a knowledge intent")
    units = []
    for i, raw in enumerate(_require(data, "units", where)):
        if not isinstance(raw, Mapping):
            raise ContentError(f"{where}: units[{i}] must be a mapping")
        unit_id = str(_require(raw, "id", f"{where}: units[{i}]"))
        spot = f"{where}: {unit_id}"
        examples = tuple(str(e).strip() for e in _require(raw, "examples", spot))
        if not 2 <= len(examples) <= MAX_UNIT_EXAMPLES:
            raise ContentError(f"{spot}: needs 2 to {MAX_UNIT_EXAMPLES} examples")
        sources = _sources(raw, spot)
        if len(sources) > MAX_UNIT_SOURCES:
            raise ContentError(f"{spot}: at most {MAX_UNIT_SOURCES} sources")
        regional = _regional(raw, spot)
        country_specific = _regions_list(raw.get("country_specific"), spot)
        if not {name for name, _, _ in regional} <= set(country_specific):
            raise ContentError(f"{spot}: regions: only for regions listed in country_specific")
        answer = " ".join(str(_require(raw, "answer", spot)).split())
        clinic = tuple(str(d) for d in raw.get("clinic") or [])
        if not set(clinic) <= set(DETAILS):
            raise ContentError(f"{spot}: clinic: expected some of {', '.join(DETAILS)}")
        units.append(
            AnswerUnit(
                id=unit_id,
                topic=topic,
                question=str(_require(raw, "question", spot)).strip(),
                examples=examples,
                answer=_filled(answer, HOME_REGION, spot),
                sources=sources,
                last_reviewed=_review_date(raw, spot),
                reviewed_by=str(_require(raw, "reviewed_by", spot)),
                personal_decision=bool(raw.get("personal_decision", False)),
                related=tuple(str(r) for r in raw.get("related") or []),
                clinic=clinic,
                country_specific=country_specific,
                regional=regional,
            )
        )
    return units


def _load_units(folder: Path) -> dict[str, AnswerUnit]:
    units: dict[str, AnswerUnit] = {}
    for path in sorted(folder.glob("*.yml")):
        for unit in _parse_units(read_content(path), path.name):
            if unit.id in units:
                raise ContentError(f"{path.name}: unit id '{unit.id}' is used twice")
            units[unit.id] = unit
    for unit in units.values():
        unknown = [r for r in unit.related if r not in units or r == unit.id]
        if unknown:
            raise ContentError(f"{unit.id}: related ids not found: {', '.join(unknown)}")
    return units


def read_content(path: Path) -> Any:
    """The parsed YAML of a content file; a :class:`ContentError` naming it if unreadable."""
    try:
        return read_yaml(path)
    except (OSError, yaml.YAMLError) as exc:
        raise ContentError(f"{path.name}: cannot read ({exc})") from exc


def load_library(folder: Path = CONTENT_DIR) -> Library:
    """Load and check every topic, answer unit and fixed message under ``folder``."""
    topics: dict[str, Topic] = {}
    for path in sorted((folder / "topics").glob("*.yml")):
        topic = _parse_topic(read_content(path), path.name)
        if topic.intent != path.stem:
            raise ContentError(f"{path.name}: intent '{topic.intent}' must match the file name")
        topics[topic.intent] = topic
    missing = [intent for intent in KNOWLEDGE_INTENTS if intent not in topics]
    if missing:
        raise ContentError(f"no topic file for: {', '.join(missing)}")
    for topic in topics.values():
        for follow_up in topic.follow_ups:
            if follow_up.intent not in topics:
                raise ContentError(
                    f"{topic.intent}.yml: follow-up '{follow_up.title}' points to "
                    f"unknown topic '{follow_up.intent}'"
                )
    messages = read_content(folder / "messages.yml")
    if not isinstance(messages, Mapping):
        raise ContentError("messages.yml: expected a mapping")
    units = _load_units(folder / "answers")
    return Library(topics=topics, messages=_fill_messages(messages), units=units)


@lru_cache(maxsize=len(OTHER_REGIONS) + 1)
def regional_library(region: str | None) -> Library:
    """The content as a person in ``region`` reads it, with the deployment's clinic.

    Only the answers use the clinic profile, so training and Rasa's own fallback
    never depend on it.
    """
    library = default_library().for_region(region)
    return dataclasses.replace(library, clinic=current_profile().clinic)


@lru_cache(maxsize=1)
def default_library() -> Library:
    """The project's own content, loaded once per process on first use."""
    return load_library()
