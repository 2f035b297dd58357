"""Checks on what a client sends, shared by the REST and socket.io channels.

Rasa's channels pass whatever arrives to the assistant. A message that is not a
string, a sender that is not one, a lone UTF-16 surrogate (spaCy cannot encode
it) or non-object metadata made Rasa raise deep inside the pipeline: the REST
channel answered 500 or an empty list, the socket.io channel nothing at all. And a
very long message is slow: 90,000 characters held the server's only event loop
for about 30 s (spaCy, DIET and the crisis lexicon all grow with its length).

Here each part of a message is checked before it reaches Rasa. A bad part raises
:class:`BadInput`, which the REST channel turns into a 400 (413 when too long)
with a short JSON error, and the socket.io channel into a short reply to the
person (:func:`refusal`), with the crisis lines of their region, since the
message was not read.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from bot.core.content import Library

#: Longest message read. About two pages of text: far more than a question needs,
#: and answered in about a second on a busy 2-core machine.
MAX_TEXT_CHARS = 5000
#: Longest sender id: Rasa's SQL tracker store keeps it in a VARCHAR(255).
MAX_SENDER_CHARS = 255
TOO_LONG = "message_too_long"
UNREADABLE = "message_unreadable"


class BadInput(ValueError):
    """A part of a request that the assistant cannot take, and why."""

    def __init__(self, problem: str, status: int = 400, message_key: str = UNREADABLE) -> None:
        """``problem`` for the client's developer, ``message_key`` for the person."""
        super().__init__(problem)
        self.problem = problem
        self.status = status
        self.message_key = message_key


def _unencodable(text: str) -> bool:
    """True when ``text`` holds a lone surrogate, which has no UTF-8 encoding."""
    return any(unicodedata.category(c) == "Cs" for c in text)


def check_text(value: Any) -> str:
    """The message text, if it is a string of at most :data:`MAX_TEXT_CHARS` characters."""
    if not isinstance(value, str):
        raise BadInput("'message' must be a string")
    if len(value) > MAX_TEXT_CHARS:
        raise BadInput(
            f"'message' is longer than {MAX_TEXT_CHARS} characters",
            status=413,
            message_key=TOO_LONG,
        )
    if _unencodable(value):
        raise BadInput("'message' holds a lone surrogate, which is not text")
    return value


def check_sender(value: Any, name: str = "sender") -> str:
    """The sender (conversation) id: 1 to 255 characters, none of them control characters."""
    if not isinstance(value, str) or not value.strip():
        raise BadInput(f"'{name}' must be a non-empty string")
    if len(value) > MAX_SENDER_CHARS:
        raise BadInput(f"'{name}' is longer than {MAX_SENDER_CHARS} characters")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        raise BadInput(f"'{name}' holds control characters or lone surrogates")
    return value


def check_metadata(value: Any, name: str = "metadata") -> dict[str, Any] | None:
    """The message metadata: absent, a JSON object, or (socket.io) a JSON object as a string."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise BadInput(f"'{name}' is not valid JSON") from None
    if not isinstance(value, dict):
        raise BadInput(f"'{name}' must be a JSON object")
    return value


def refusal(problem: BadInput, region: str | None, library: Library) -> str:
    """What to tell a person whose message was not read, in their region's words."""
    return library.regional_message(problem.message_key, region)[1].strip()
