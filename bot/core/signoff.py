"""Clinician sign-off: which answers a clinician approved, and whether they changed since.

Each answer a patient can get (every answer unit, its answers for other regions, and
every topic summary) has a record in ``content/signoffs.yml``: pending, or signed
off by a reviewer role on a date, with a hash of the text and sources that were
reviewed and that text itself (so a reviewer can see what changed). An answer whose
text or sources changed after its sign-off fails the content checks until it is
marked pending again or signed off again. A sign-off names the digest of the text the
reviewer read, and is refused if the answer no longer has it. Roles only, never names:
the repository is public.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from bot.core.content import CONTENT_DIR, AnswerUnit, Library, Source, Topic
from bot.core.yaml_files import read_yaml

SIGNOFF_FILE = CONTENT_DIR / "signoffs.yml"
SHORT = 12
"""Hex characters of a digest the packet shows, and the fewest a reviewer may give."""
HEADER = """\
# Clinician sign-off of every answer (bot/core/signoff.py, docs/review.md). Written by
# `make sign-off` and `make mark-pending`; do not edit by hand. A role, never a name.
"""


@dataclass(frozen=True)
class Answer:
    """One answer as a reviewer signs it off: its text, sources and provider line."""

    id: str
    title: str
    text: str
    sources: tuple[Source, ...]
    personal: bool = False
    """True when the "talk to your care team" line follows the text."""

    @property
    def digest(self) -> str:
        """SHA-256 of the question, text, sources and provider line, so that any change shows."""
        sources = [[s.publisher, s.title, s.url] for s in self.sources]
        signed = {"title": self.title, "text": self.text, "sources": sources}
        body = json.dumps({**signed, "personal": self.personal}, sort_keys=True)
        return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Record:
    """The sign-off state of one answer; ``role`` is empty if it was never signed off."""

    pending: bool = True
    role: str = ""
    date: dt.date | None = None
    sha256: str = ""
    text: str = ""  # the text that was signed off


def unit_answer(unit: AnswerUnit) -> Answer:
    """An answer unit as it is signed off."""
    return Answer(unit.id, unit.question, unit.answer, unit.sources, unit.personal_decision)


def topic_answer(topic: Topic) -> Answer:
    """A topic (summary, more, sections) as it is signed off, as ``topic:<intent>``."""
    parts = [topic.summary, topic.more, *(s.text for s in topic.sections)]
    text = "\n\n".join(parts)
    return Answer(
        f"topic:{topic.intent}", topic.title, text, topic.sources, topic.personal_decision
    )


def regional_answers(unit: AnswerUnit) -> list[Answer]:
    """A unit's answers for other regions, as ``<unit id>@<region>``."""
    return [
        Answer(
            f"{unit.id}@{region}",
            f"{unit.question} ({region.upper()})",
            text,
            sources,
            unit.personal_decision,
        )
        for region, text, sources in unit.regional
    ]


def answers(library: Library) -> dict[str, Answer]:
    """Every answer a patient can be given: units, their regional answers, then topics."""
    found = [a for u in library.units.values() for a in (unit_answer(u), *regional_answers(u))]
    found += map(topic_answer, library.topics.values())
    return {answer.id: answer for answer in found}


def read_records(path: Path = SIGNOFF_FILE) -> dict[str, Record]:
    """The records in ``path`` (none if it does not exist)."""
    if not path.exists():
        return {}
    data = read_yaml(path) or {}
    records = {}
    for key, raw in (data.get("answers") or {}).items():
        if raw == "pending":
            records[str(key)] = Record()
        elif isinstance(raw, Mapping):
            records[str(key)] = Record(
                pending=bool(raw.get("pending", False)),
                role=str(raw.get("role", "")),
                date=raw.get("date"),
                sha256=str(raw.get("sha256", "")),
                text=str(raw.get("text", "")),
            )
        else:
            raise ValueError(f"{path.name}: {key}: expected 'pending' or a sign-off record")
    return records


def _raw(record: Record) -> Any:
    if not record.role:
        return "pending"
    raw: dict[str, Any] = {"role": record.role, "date": record.date, "sha256": record.sha256}
    if record.pending:
        raw = {"pending": True, **raw}
    return {**raw, "text": record.text}


def write_records(records: Mapping[str, Record], path: Path = SIGNOFF_FILE) -> None:
    """Write ``records`` to ``path``, sorted by answer id."""
    data = {"answers": {key: _raw(records[key]) for key in sorted(records)}}
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=88)
    path.write_text(HEADER + body, encoding="utf-8")


def status(answer: Answer, record: Record | None) -> str:
    """``signed``, ``pending``, ``changed`` (since its sign-off) or ``new`` (no record)."""
    if record is None:
        return "new"
    if record.pending:
        return "pending"
    return "signed" if record.sha256 == answer.digest else "changed"


def problems(library: Library, records: Mapping[str, Record]) -> list[str]:
    """Why the records do not fit the content: new answers, changed ones, stale ids."""
    found = []
    current = answers(library)
    for key, answer in current.items():
        state = status(answer, records.get(key))
        if state == "new":
            found.append(
                f"{key}: no sign-off record; mark it pending: make mark-pending ANSWERS={key}"
            )
        elif state == "changed":
            record = records[key]
            found.append(
                f"{key}: changed after its sign-off by {record.role} on {record.date}; get it "
                f"reviewed (make review-packet) and signed off again, or mark it pending: "
                f"make mark-pending ANSWERS={key}"
            )
    found += [f"{key}: signed-off answer no longer exists" for key in records if key not in current]
    return found


def _asked(library: Library, keys: Iterable[str]) -> list[Answer]:
    """The answers named by ``keys``; a name that is no answer is an error."""
    current = answers(library)
    keys = list(keys)
    unknown = [k for k in keys if k not in current]
    if unknown:
        raise ValueError(f"no such answer: {', '.join(unknown)}")
    return [current[k] for k in keys]


def _unchanged(answer: Answer, read: str) -> bool:
    """Whether ``answer`` still has the digest ``read`` (whole, or its first characters)."""
    read = read.lower()
    if not SHORT <= len(read) <= len(answer.digest) or set(read) - set("0123456789abcdef"):
        raise ValueError(f"{answer.id}: {read!r} is not a digest of {SHORT} or more hex characters")
    return answer.digest.startswith(read)


def sign_off(
    library: Library,
    records: Mapping[str, Record],
    read: Mapping[str, str],
    role: str,
    day: dt.date,
) -> dict[str, Record]:
    """``records`` with each answer in ``read`` signed off by ``role`` on ``day``.

    ``read`` maps an answer id to the digest of the text the reviewer read. If any answer
    has another digest now, nothing is signed off: the reviewer never read that text.
    """
    asked = _asked(library, read)
    changed = [
        f"{a.id}: changed since it was read (digest {read[a.id][:SHORT]} then, "
        f"{a.digest[:SHORT]} now)"
        for a in asked
        if not _unchanged(a, read[a.id])
    ]
    if changed:
        again = "build the packet again (make review-packet), read them again, sign off from it"
        raise ValueError("\n".join([*changed, f"Nothing was signed off: {again}."]))
    updated = dict(records)
    for answer in asked:
        updated[answer.id] = Record(False, role, day, answer.digest, answer.text)
    return updated


def mark_pending(
    library: Library, records: Mapping[str, Record], keys: Iterable[str]
) -> dict[str, Record]:
    """``records`` with ``keys`` pending review again (the last sign-off is kept)."""
    updated = dict(records)
    for answer in _asked(library, keys):
        updated[answer.id] = replace(records.get(answer.id, Record()), pending=True)
    return updated


def to_review(library: Library, records: Mapping[str, Record]) -> list[Answer]:
    """The answers a clinician has to look at: new, pending or changed."""
    return [
        answer
        for key, answer in answers(library).items()
        if status(answer, records.get(key)) != "signed"
    ]
