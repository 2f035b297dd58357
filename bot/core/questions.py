"""Split a message that asks two things into its questions.

"what are the side effects and how long do they last" becomes two questions, so
each can be classified and answered.
"""

from __future__ import annotations

import re

# A new question starts with one of these words after "and", "also", "plus" or ";".
_QUESTION_STARTS = (
    "what whats how hows when why who which where is are does do did can could will would "
    "should any tell explain"
).split()
_STARTS = "|".join(_QUESTION_STARTS)
_JOINER = re.compile(
    rf"\s*(?:[;,]?\s*\b(?:and also|and then|and|also|plus)\b|;)\s+(?=(?:{_STARTS})\b)",
    re.IGNORECASE,
)
_QUESTION_END = re.compile(r"\?+\s*")
# Trimmed from both ends of a part: any whitespace (tabs, new lines) and stray punctuation.
_TRIM = re.compile(r"^[\s,.;]+|[\s,.;]+$")


def split_questions(text: str, min_words: int = 2) -> list[str]:
    """The separate questions in ``text``, in order; one item when it asks one thing.

    Parts shorter than ``min_words`` words are kept with the part before them, so
    "side effects? any?" stays one question. No part is blank: a text of nothing but
    whitespace and punctuation (``""``, ``"?"``) has no questions.
    """
    parts: list[str] = []
    for chunk in _QUESTION_END.split(text):
        for part in _JOINER.split(chunk):
            part = _TRIM.sub("", part)
            if not part:
                continue
            if parts and len(part.split()) < min_words:
                parts[-1] = f"{parts[-1]} {part}"
            else:
                parts.append(part)
    return parts
