"""Content gates: what every patient-visible text and every topic must pass.

Each gate is a small function that returns a list of failure messages, each
naming the file and field at fault; an empty list is a pass. The thresholds and
allow-lists are YAML under ``content/`` (``gates.yml``, ``publishers.yml``,
``reviewer_roles.yml``, ``forbidden_patterns.yml``) so editors can read them.
Run by ``tests/test_content_gates.py`` and shown in ``make content-report``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import textstat

from bot.core.answers import answer_more, answer_topic, answer_unit
from bot.core.content import (
    CONTENT_DIR,
    KNOWLEDGE_INTENTS,
    ContentError,
    Library,
    Source,
    Topic,
    read_content,
)
from bot.quality.nlu_annotations import Mention
from bot.quality.patient_texts import PROSE, PatientText

PUBLISHER_KINDS: tuple[str, ...] = (
    "government",
    "regulator",
    "clinic",
    "medicines information",
    "journal",
    "manufacturer",
)

# A URL is not prose; trailing punctuation stays so sentence ends still count.
_URL = re.compile(r"https?://\S+?(?=[.,;:!?)\]]*(?:\s|$))")


@dataclass(frozen=True)
class ForbiddenPattern:
    """Wording no patient text may contain, and why."""

    pattern: re.Pattern[str]
    reason: str


@dataclass(frozen=True)
class Policy:
    """The thresholds and allow-lists the gates check against."""

    max_grade: float
    min_reading_ease: float
    max_review_age_months: int
    personal_decision_required: tuple[str, ...]
    max_answer_words: int
    publishers: Mapping[str, str]
    reviewer_roles: frozenset[str]
    forbidden: tuple[ForbiddenPattern, ...]


@dataclass(frozen=True)
class Readability:
    """Flesch-Kincaid grade level and Flesch reading ease of one text."""

    grade: float
    ease: float

    def passes(self, policy: Policy) -> bool:
        """True when both scores are within the policy's limits."""
        return self.grade <= policy.max_grade and self.ease >= policy.min_reading_ease


def _publishers(data: Any) -> dict[str, str]:
    publishers = {}
    for entry in data["publishers"]:
        if entry.get("kind") not in PUBLISHER_KINDS:
            raise ContentError(
                f"publishers.yml: {entry.get('name')!r} needs kind: {' | '.join(PUBLISHER_KINDS)}"
            )
        publishers[str(entry["name"])] = str(entry["kind"])
    return publishers


def _forbidden(data: Any) -> tuple[ForbiddenPattern, ...]:
    patterns = []
    for entry in data["patterns"]:
        if not entry.get("reason"):
            raise ContentError(f"forbidden_patterns.yml: {entry.get('pattern')!r} needs a reason")
        try:
            compiled = re.compile(str(entry["pattern"]), re.IGNORECASE)
        except re.error as exc:
            raise ContentError(f"forbidden_patterns.yml: {entry['pattern']!r}: {exc}") from exc
        patterns.append(ForbiddenPattern(compiled, str(entry["reason"])))
    return tuple(patterns)


def load_policy(folder: Path = CONTENT_DIR) -> Policy:
    """The gate thresholds and allow-lists kept as YAML under ``folder``."""
    gates = read_content(folder / "gates.yml")
    return Policy(
        max_grade=float(gates["readability"]["max_grade"]),
        min_reading_ease=float(gates["readability"]["min_reading_ease"]),
        max_review_age_months=int(gates["review"]["max_age_months"]),
        personal_decision_required=tuple(gates["personal_decision_required"]),
        max_answer_words=int(gates["units"]["max_answer_words"]),
        publishers=_publishers(read_content(folder / "publishers.yml")),
        reviewer_roles=frozenset(read_content(folder / "reviewer_roles.yml")["roles"]),
        forbidden=_forbidden(read_content(folder / "forbidden_patterns.yml")),
    )


# ---------- readability ----------


def strip_urls(text: str) -> str:
    """The text without its URLs, which are not prose and would skew the scores."""
    return _URL.sub("", text)


def readability(text: str) -> Readability:
    """Both readability scores of ``text``, URLs removed first."""
    prose = strip_urls(text)
    return Readability(
        float(textstat.flesch_kincaid_grade(prose)), float(textstat.flesch_reading_ease(prose))
    )


def readability_failures(texts: Iterable[PatientText], policy: Policy) -> list[str]:
    """Prose texts above the grade limit or below the reading-ease limit."""
    failures = []
    for text in texts:
        if text.kind != PROSE:
            continue
        score = readability(text.text)
        if not score.passes(policy):
            failures.append(
                f"{text.where}: grade {score.grade:.1f} (max {policy.max_grade:g}), "
                f"reading ease {score.ease:.1f} (min {policy.min_reading_ease:g})"
            )
    return failures


# ---------- sources ----------


@dataclass(frozen=True)
class Reviewed:
    """A topic or an answer unit: what it cites, and who checked it when."""

    name: str
    sources: tuple[Source, ...]
    last_reviewed: dt.date
    reviewed_by: str


def reviewed_items(library: Library) -> list[Reviewed]:
    """Every topic and answer unit, named by file (and unit id)."""
    items = [
        Reviewed(f"{t.intent}.yml", t.sources, t.last_reviewed, t.reviewed_by)
        for t in library.topics.values()
    ]
    items += [
        Reviewed(f"answers/{u.topic}.yml {u.id}", u.sources, u.last_reviewed, u.reviewed_by)
        for u in library.units.values()
    ]
    return items


def source_failures(library: Library, publishers: Mapping[str, str]) -> list[str]:
    """Topics and units without a complete https source, or citing an unlisted publisher."""
    failures = []
    for item in reviewed_items(library):
        if not item.sources:
            failures.append(f"{item.name}: cites no source")
        for i, source in enumerate(item.sources):
            where = f"{item.name} sources[{i}]"
            if not (source.publisher and source.title and source.url):
                failures.append(f"{where}: needs publisher, title and url")
            if not source.url.startswith("https://"):
                failures.append(f"{where}: url {source.url!r} is not https")
            if source.publisher not in publishers:
                failures.append(f"{where}: publisher {source.publisher!r} is not in publishers.yml")
    return failures


# ---------- review dates ----------


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (clamped to the month's end)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last_day))


def review_age_days(item: Topic | Reviewed, today: dt.date) -> int:
    """How many days ago the topic or unit was last reviewed."""
    return (today - item.last_reviewed).days


def review_failures(
    library: Library, roles: Iterable[str], today: dt.date, max_age_months: int
) -> list[str]:
    """Topics and units reviewed too long ago, dated in the future, or by an unlisted role."""
    allowed = set(roles)
    oldest = months_before(today, max_age_months)
    failures = []
    for item in reviewed_items(library):
        name = item.name
        if item.reviewed_by not in allowed:
            failures.append(
                f"{name} reviewed_by: {item.reviewed_by!r} is not a role in reviewer_roles.yml "
                "(use a role, never a person's name)"
            )
        if item.last_reviewed < oldest:
            failures.append(
                f"{name} last_reviewed: {item.last_reviewed} is "
                f"{review_age_days(item, today)} days old, more than {max_age_months} months "
                f"before {today}; check it against its sources and update the date"
            )
        elif item.last_reviewed > today:
            failures.append(f"{name} last_reviewed: {item.last_reviewed} is after {today}")
    return failures


# ---------- safety wording ----------


def forbidden_matches(
    text: str, patterns: Iterable[ForbiddenPattern]
) -> list[tuple[ForbiddenPattern, str]]:
    """Each forbidden pattern found in ``text``, with the words it matched."""
    return [(p, m.group(0)) for p in patterns if (m := p.pattern.search(text))]


def wording_failures(
    texts: Iterable[PatientText], patterns: Sequence[ForbiddenPattern]
) -> list[str]:
    """Patient texts that match a forbidden pattern."""
    return [
        f"{text.where}: {found!r} matches {p.pattern.pattern!r} ({p.reason})"
        for text in texts
        for p, found in forbidden_matches(text.text, patterns)
    ]


def personal_decision_failures(library: Library, required: Iterable[str]) -> list[str]:
    """Topics that must be marked ``personal_decision: true`` but are not."""
    return [
        f"{intent}.yml personal_decision: must be true (listed in gates.yml)"
        for intent in required
        if (topic := library.topic(intent)) is not None and not topic.personal_decision
    ]


def provider_line_failures(library: Library) -> list[str]:
    """Personal-decision topics whose composed answers lack the provider line."""
    line = library.message("provider_line").strip()
    failures = []
    for topic in library.topics.values():
        if not topic.personal_decision:
            continue
        answers = {"summary": answer_topic(topic, [], library).text}
        for section in topic.sections:
            asked = [(section.entity, section.value)]
            answers[f"sections[{section.value}]"] = answer_topic(topic, asked, library).text
        answers["more"] = answer_more(topic, library).text
        failures += [
            f"{topic.intent}.yml {field}: the answer lacks the provider line"
            for field, text in answers.items()
            if line not in text
        ]
    return failures


def unit_failures(library: Library, max_words: int) -> list[str]:
    """Answer units whose answer is too long, or whose composed reply lacks the provider line."""
    line = library.message("provider_line").strip()
    failures = []
    for unit in library.units.values():
        name = f"answers/{unit.topic}.yml {unit.id}"
        words = len(unit.answer.split())
        if words > max_words:
            failures.append(f"{name} answer: {words} words, more than {max_words}")
        if unit.personal_decision and line not in answer_unit(unit, library).text:
            failures.append(f"{name}: the answer lacks the provider line")
    return failures


# ---------- coverage ----------


def topic_coverage_failures(library: Library) -> list[str]:
    """Knowledge intents without a topic."""
    return [
        f"{intent}: no topic file topics/{intent}.yml"
        for intent in KNOWLEDGE_INTENTS
        if library.topic(intent) is None
    ]


def _sections(library: Library) -> set[tuple[str, str]]:
    return {(s.entity, s.value) for t in library.topics.values() for s in t.sections}


def entity_coverage_failures(library: Library, mentions: Iterable[Mention]) -> list[str]:
    """Entity values annotated in the training data that no topic has a section for."""
    mentions = list(mentions)
    counts = Counter((m.entity, m.value) for m in mentions)
    files: dict[tuple[str, str], set[str]] = {}
    for m in mentions:
        files.setdefault((m.entity, m.value), set()).add(m.file)
    covered = _sections(library)
    return [
        f"data/nlu {entity} {value!r} ({counts[entity, value]} examples in "
        f"{', '.join(sorted(files[entity, value]))}) has no section in any topic"
        for entity, value in sorted(counts)
        if (entity, value) not in covered
    ]


def unreachable_section_failures(library: Library, mentions: Iterable[Mention]) -> list[str]:
    """Sections whose (entity, value) no training example annotates, so none is picked."""
    annotated = {(m.entity, m.value) for m in mentions}
    return [
        f"{topic.intent}.yml sections[{s.value}]: no training example annotates "
        f"{s.entity} {s.value!r}, so no question reaches it"
        for topic in library.topics.values()
        for s in topic.sections
        if (s.entity, s.value) not in annotated
    ]


def unreachable_topic_failures(library: Library, examples: Iterable[tuple[str, str]]) -> list[str]:
    """Topics whose intent has no training example, so no question reaches them."""
    trained = {intent for _, intent in examples}
    return [
        f"{intent}.yml: no training example has intent {intent}, so no question reaches it"
        for intent in library.topics
        if intent not in trained
    ]


# ---------- all together ----------


def run_gates(
    library: Library,
    texts: Sequence[PatientText],
    policy: Policy,
    mentions: Sequence[Mention],
    examples: Sequence[tuple[str, str]],
    today: dt.date,
) -> dict[str, list[str]]:
    """Every gate by name, with its failures (empty when it passes)."""
    return {
        "readability": readability_failures(texts, policy),
        "sources": source_failures(library, policy.publishers),
        "review dates": review_failures(
            library, policy.reviewer_roles, today, policy.max_review_age_months
        ),
        "safety wording": wording_failures(texts, policy.forbidden),
        "personal decisions": personal_decision_failures(
            library, policy.personal_decision_required
        ),
        "provider line": provider_line_failures(library),
        "answer units": unit_failures(library, policy.max_answer_words),
        "topic coverage": topic_coverage_failures(library),
        "entity coverage": entity_coverage_failures(library, mentions),
        "reachable sections": unreachable_section_failures(library, mentions),
        "reachable topics": unreachable_topic_failures(library, examples),
    }
