"""The summary to take to an appointment: what the person asked about, what to ask.

The summary is built only from the answers the assistant gave (each unit's question
and the first sentence of its answer, which answers it) and fixed questions for the
prescriber from ``messages.yml``, chosen by the topics the person asked about. No word
the person typed is repeated, so nothing they said in a crisis, and nothing personal,
can appear in it; it holds no diagnosis, dose or recommendation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.answers import Button, Reply
from bot.core.content import AnswerUnit, Library

MAX_POINTS = 8
MIN_POINT_WORDS = 4  # "It can." or "No." alone says too little to take along
OFFER_AFTER = 3  # answers given before each answer also offers the summary
MIN_QUESTIONS, MAX_QUESTIONS = 3, 5
SUMMARY_PAYLOAD = "/ask_summary"
# A sentence ends at ., ! or ? followed by a space; "e.g." and "U.S." stay whole.
SENTENCE_END = re.compile(r"(?<!\b[A-Z])(?<!\be\.g)(?<!\bi\.e)[.!?](?=\s)")


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` (the whole text when it is one sentence)."""
    match = SENTENCE_END.search(text)
    return text[: match.end()].strip() if match else text.strip()


def key_point(answer: str) -> str:
    """The sentence that answers the question; with the next one after a bare "Yes."."""
    first = first_sentence(answer)
    if len(first.split()) >= MIN_POINT_WORDS:
        return first
    return f"{first} {first_sentence(answer[len(first) :].strip())}".strip()


def prescriber_questions(topics: Sequence[str], library: Library) -> list[str]:
    """3 to 5 questions: one per topic asked about, in order, then the usual ones."""
    by_topic = library.messages["appointment_questions"]
    chosen = list(dict.fromkeys(str(by_topic[t]) for t in topics if t in by_topic))
    chosen = chosen[:MAX_QUESTIONS]
    for topic in library.messages["summary_always"]:
        if len(chosen) >= MIN_QUESTIONS:
            break
        if by_topic[topic] not in chosen:
            chosen.append(str(by_topic[topic]))
    return chosen


def summary(unit_ids: Sequence[str], library: Library) -> Reply:
    """The summary of the answers given (``unit_ids``, in the order given)."""
    units: list[AnswerUnit] = [u for u in map(library.unit, dict.fromkeys(unit_ids)) if u]
    units = units[-MAX_POINTS:]
    parts = [library.message("summary_heading")]
    if units:
        points = "\n".join(f"- {u.question} {key_point(u.answer)}" for u in units)
        parts.append(f"{library.message('summary_asked')}\n{points}")
    else:
        parts.append(library.message("summary_none"))
    questions = prescriber_questions(list(dict.fromkeys(u.topic for u in units)), library)
    numbered = "\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1))
    # A blank line first: the web widget's Markdown starts a numbered list only after one.
    parts.append(f"{library.message('summary_questions')}\n\n{numbered}")
    parts.append(library.message("summary_note"))
    return Reply("\n\n".join(parts))


def offer_summary(replies: list[Reply], answers_given: int, library: Library) -> list[Reply]:
    """From the third answer on, the last reply also offers the summary as a button."""
    if answers_given < OFFER_AFTER or not replies:
        return replies
    last = replies[-1]
    button = Button(library.message("summary_button"), SUMMARY_PAYLOAD)
    return [*replies[:-1], Reply(last.text, (*last.buttons, button), last.sources)]
