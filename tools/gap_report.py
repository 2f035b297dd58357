"""Write the gap report: what people asked that the assistant could not answer.

Reads the user messages in the tracker store (the ``events`` table of Rasa's
SQLTrackerStore) whose intent was ``nlu_fallback``, ``out_of_scope`` or
``ask_personal_advice``, or that asked a knowledge question no answer unit fitted
(the answer action's "no good answer", found again from the stored parse data),
groups similar wordings and writes ``reports/gap-report.md``. Emails, phone numbers
and names are masked before anything is grouped or written. Crisis messages are only
counted: their text is never printed or written.

The store is chosen from the environment as in ``tools/tracker_db.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rapidfuzz import fuzz, utils

from bot.core.answer_selection import NO_GOOD_ANSWER, choose_for_parse
from bot.core.content import CRISIS_INTENT, KNOWLEDGE_INTENTS, default_library
from bot.core.crisis.lexicon import CrisisDetector, default_detector
from bot.nlu.retrieval import ANSWERS_KEY
from tools.tracker_db import EVENTS, StoreError, describe, open_store, store_url

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "reports" / "gap-report.md"
DEFAULT_THRESHOLD = 75.0
GAP_INTENTS: dict[str, str] = {
    NO_GOOD_ANSWER: "No good answer",
    "nlu_fallback": "Not understood",
    "out_of_scope": "Out of scope",
    "ask_personal_advice": "Asked for personal advice",
}
ADVICE: dict[str, str] = {
    NO_GOOD_ANSWER: "Write an answer unit for the question (content/answers/), if it fits.",
    "nlu_fallback": "Add training examples to the intent they meant, or new content.",
    "out_of_scope": "Consider new content if a group is large and fits the assistant's purpose.",
    "ask_personal_advice": "Check the general facts these people needed are in a topic.",
}

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{5,}\d(?![\w])")
_NAME = re.compile(
    r"\b(?P<intro>my name is|my name[’']s|i[’']?m called|i am called)(?P<gap>\s+)"
    r"(?P<name>[^\W\d_]+(?:[\s'’-][^\W\d_]+){0,2})",
    re.IGNORECASE,
)
# Words that end a name: "my name is Sam and I..." masks only "Sam".
_NOT_NAME = frozenset(
    "a an and about are at but by can could did do does for from how i i'm im in is it "
    "my not of on or so the to was what when why will with would".split()
)


@dataclass(frozen=True)
class UserMessage:
    """One user message from the tracker store."""

    sender_id: str
    text: str
    intent: str
    timestamp: float


@dataclass
class Group:
    """Similar masked messages with the same intent."""

    intent: str
    key: str
    texts: list[str] = field(default_factory=list)
    first: float = 0.0
    last: float = 0.0

    def add(self, text: str, timestamp: float) -> None:
        """Count one more message in this group."""
        if not self.texts:
            self.first = timestamp
        self.texts.append(text)
        self.first = min(self.first, timestamp)
        self.last = max(self.last, timestamp)


@dataclass(frozen=True)
class Gaps:
    """What the report shows: masked groups and the counts, nothing else."""

    groups: list[Group]
    crisis_count: int
    messages_read: int
    conversations: int


def read_user_messages(url: sa.engine.URL | str) -> list[UserMessage]:
    """Every user message in the store, oldest first."""
    query = (
        sa.select(EVENTS.c.sender_id, EVENTS.c.timestamp, EVENTS.c.intent_name, EVENTS.c.data)
        .where(EVENTS.c.type_name == "user")
        .order_by(EVENTS.c.timestamp)
    )
    with open_store(url) as engine, engine.connect() as connection:
        rows = connection.execute(query).fetchall()
    unit_topics = default_library().unit_topics
    messages = []
    for sender_id, timestamp, intent, data in rows:
        event = json.loads(data or "{}")
        text = str(event.get("text") or "")
        parse = event.get("parse_data") or {}
        name = str(intent or (parse.get("intent") or {}).get("name") or "")
        kind = gap_kind(name, parse, unit_topics)
        messages.append(UserMessage(str(sender_id), text, kind, float(timestamp or 0)))
    return messages


def gap_kind(intent: str, parse: Mapping[str, Any], unit_topics: Mapping[str, str]) -> str:
    """``no_good_answer`` for a knowledge question no unit fitted, else the intent.

    Messages parsed before answer units existed have no ranked units; they keep their intent.
    """
    if intent not in KNOWLEDGE_INTENTS or ANSWERS_KEY not in parse:
        return intent
    no_answer = choose_for_parse(parse, unit_topics).kind == NO_GOOD_ANSWER
    return NO_GOOD_ANSWER if no_answer else intent


def _mask_name(match: re.Match[str]) -> str:
    words = match["name"].split()
    kept = 0
    for word in words:
        if word.lower().replace("’", "'") in _NOT_NAME:
            break
        kept += 1
    if not kept:
        return match.group(0)
    rest = " ".join(words[kept:])
    return f"{match['intro']}{match['gap']}[name]{' ' + rest if rest else ''}"


def mask(text: str) -> str:
    """The text with emails, phone numbers and self-given names replaced by placeholders."""
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub(
        lambda m: "[phone]" if sum(c.isdigit() for c in m.group(0)) >= 7 else m.group(0), text
    )
    return _NAME.sub(_mask_name, text)


def is_crisis(message: UserMessage, detector: CrisisDetector) -> bool:
    """True for a crisis message, by intent or by the crisis lexicon (in case NLU missed it)."""
    return message.intent == CRISIS_INTENT or detector.is_crisis(message.text)


def similarity(a: str, b: str) -> float:
    """How alike two messages are, 0-100.

    ``token_set_ratio`` alone scores 100 whenever one message's words are all in
    the other, so one-word messages would swallow everything; averaging with
    ``token_sort_ratio`` keeps that from happening.
    """
    return (fuzz.token_set_ratio(a, b) + fuzz.token_sort_ratio(a, b)) / 2


def group_messages(
    messages: Sequence[UserMessage], threshold: float = DEFAULT_THRESHOLD
) -> list[Group]:
    """Masked messages grouped by intent and similarity, largest group first.

    Each group is represented by its first message; a later message joins the
    most similar group of its intent when the similarity reaches ``threshold``.
    """
    groups: list[Group] = []
    for message in sorted(messages, key=lambda m: m.timestamp):
        text = mask(message.text).strip()
        key = utils.default_process(text)
        if not key:
            continue
        scored = [(similarity(key, g.key), g) for g in groups if g.intent == message.intent]
        score, group = max(scored, key=lambda pair: pair[0], default=(0.0, None))
        if group is None or score < threshold:
            group = Group(message.intent, key)
            groups.append(group)
        group.add(text, message.timestamp)
    return sorted(groups, key=lambda g: (-len(g.texts), -g.last))


def find_gaps(
    messages: Sequence[UserMessage],
    detector: CrisisDetector,
    threshold: float = DEFAULT_THRESHOLD,
) -> Gaps:
    """Set crisis messages aside (counted only), then group the unanswered ones."""
    crisis = {id(m) for m in messages if is_crisis(m, detector)}
    unanswered = [m for m in messages if m.intent in GAP_INTENTS and id(m) not in crisis]
    return Gaps(
        groups=group_messages(unanswered, threshold),
        crisis_count=len(crisis),
        messages_read=len(messages),
        conversations=len({m.sender_id for m in messages}),
    )


def _day(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).date().isoformat()


def _code(text: str) -> str:
    # A code span shows the text as typed, so no Markdown or HTML in it is rendered.
    flat = " ".join(text.split()).replace("`", "'").replace("|", "\\|")
    return f"`{flat}`"


def _table(groups: Sequence[Group]) -> list[str]:
    lines = [
        "| Count | First seen | Last seen | Example | Other wordings |",
        "|---:|---|---|---|---|",
    ]
    for group in groups:
        others = list(dict.fromkeys(t for t in group.texts if t != group.texts[0]))[:3]
        lines.append(
            f"| {len(group.texts)} | {_day(group.first)} | {_day(group.last)} | "
            f"{_code(group.texts[0])} | {'<br>'.join(_code(t) for t in others)} |"
        )
    return lines


def render_report(gaps: Gaps, store: str, generated: dt.datetime) -> str:
    """The report as Markdown."""
    by_intent = {i: [g for g in gaps.groups if g.intent == i] for i in GAP_INTENTS}
    lines = [
        "# Gap report",
        "",
        f"Questions the assistant could not answer, read from the tracker store ({store}) "
        f"on {generated:%Y-%m-%d %H:%M} UTC: {gaps.messages_read} user messages in "
        f"{gaps.conversations} conversations.",
        "",
        "Emails, phone numbers and names are masked. Crisis messages are counted, never shown.",
        "",
        "| Kind | Messages | Groups |",
        "|---|---:|---:|",
    ]
    for intent, label in GAP_INTENTS.items():
        count = sum(len(g.texts) for g in by_intent[intent])
        lines.append(f"| {label} (`{intent}`) | {count} | {len(by_intent[intent])} |")
    lines.append(f"| Crisis messages (text not shown) | {gaps.crisis_count} | - |")
    for intent, label in GAP_INTENTS.items():
        lines += ["", f"## {label} (`{intent}`)", "", ADVICE[intent], ""]
        lines += _table(by_intent[intent]) if by_intent[intent] else ["None."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> None:
    """Read the tracker store, write the gap report and print it."""
    parser = argparse.ArgumentParser(description="Write the gap report (Markdown).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown file to write")
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help="similarity (0-100) at which messages join a group",
    )
    args = parser.parse_args(argv)
    environment: Mapping[str, Any] = os.environ if env is None else env
    try:
        url = store_url(environment)
    except ValueError as exc:
        sys.exit(f"error: {exc}")
    try:
        messages = read_user_messages(url)
    except StoreError as exc:
        sys.exit(f"error: {exc}")
    gaps = find_gaps(messages, default_detector(), args.threshold)
    report = render_report(gaps, describe(url), dt.datetime.now(dt.timezone.utc))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    sys.stdout.write(report)


if __name__ == "__main__":
    main()
